using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The admin API (127.0.0.1 by default). Every /api/config and /api/audit request carries a key (X-Api-Key,
/// <see cref="AdminKeys"/>): reads need the reader or editor role, edits the editor role (401 without a valid key, 403
/// for a reader). An edit of an existing row names the version it read in an If-Match header (428 without, unless
/// ?force=true); a stale one gets 409 with the current version. Bad input gets 400/404/422 with a reason and changes
/// nothing. Every committed change is audited (GET /api/audit). POST /api/activity takes a peripheral's events from a
/// key of role ingest (<see cref="ActivityHttpIngest"/>). /api/sequence, /stats and the health endpoints carry counters
/// only and stay open.
/// </summary>
internal static class AdminApi
{
    public static void MapAdminApi(this WebApplication app)
    {
        var tables = string.Join(", ", ConfigTables.All.Select(t => t.Name));
        var read = app.MapGroup("/api").RequireAuthorization(AdminRoles.ReadPolicy).AddEndpointFilter(LogRefusalAsync).AnswersWithKey();
        read.MapGet("/config/{table}", ListAsync).Answers<ConfigRow[]>($"Every row of a table ({tables}), by id; each row carries its version (configSequence).", 404);
        read.MapGet("/config/{table}/{id:long}", GetAsync).Answers<ConfigRow>("One row, with its version (configSequence).", 404);
        read.MapGet("/audit", AuditAsync).Answers<AdminAuditEntry[]>("Who changed what, from where, oldest first (?table=, ?since= an ISO 8601 time, ?limit= 1 to 10000).", 400);
        var edit = app.MapGroup("/api/config").RequireAuthorization(AdminRoles.EditPolicy).AddEndpointFilter(LogRefusalAsync).AnswersWithKey();
        edit.MapPost("/batch", BatchAsync).Answers<BatchAnswer>(
            "Many changes in one transaction, all or nothing (?dryRun=true validates and writes nothing); a refusal names each refused change by its index.",
            400, 404, 409, 413, 415, 422, 428);
        edit.MapPost("/{table}", CreateAsync).WithSummary(
                "Creates a row; without an \"id\" in the body the center gives it the next free id of the table (one more than the highest).")
            .Produces<EditAnswer>(StatusCodes.Status201Created).AnswersProblems(400, 404, 409, 413, 415, 422, 428);
        edit.MapPut("/{table}/{id:long}", UpsertAsync).Answers<EditAnswer>(
            "Creates or changes the row with this id. Changing an existing row needs If-Match: the version read (or ?force=true).",
            400, 404, 409, 413, 415, 422, 428);
        edit.MapDelete("/{table}/{id:long}", DeleteAsync).Answers<EditAnswer>(
            "Deletes the row. Needs If-Match: the version read (or ?force=true); 409 while other rows reference it.", 400, 404, 409, 428);
        app.MapActivityIngest();
        app.MapGet("/api/sequence", SequenceAsync).Answers<SequenceAnswer>(
            "The last committed configuration sequence and how far the relay has published (open: counters only).", 429);
        app.MapGet("/stats", (CentralStats stats, SnapshotSender snapshots, Lease.CentralLease lease) => Results.Ok(new CenterCounters(
            lease.Current is not null,
            lease.LastEpoch,
            lease.Takeovers,
            stats.ChangesCommitted,
            stats.ChangesPublished,
            stats.RealTimeRowsPublished,
            stats.ActivityApplied,
            stats.ActivityDuplicates,
            stats.ActivityRefused,
            stats.ResyncsRequested,
            snapshots.RequestsRefused))).Answers<CenterCounters>("The center's counters since it started (open).");
        app.MapHealthAndMetrics();
        app.MapAdminDocs();
    }

    /// <summary>A committed edit: its sequence, the row's new version (the same number) and the row as stored.</summary>
    public sealed record EditAnswer(long Sequence, long Version, object? Row);

    /// <summary>A committed batch (its sequences, first to last, and each change's id, the center's where none was given) or a dry run's count.</summary>
    public sealed record BatchAnswer(int Count, long? FirstSequence = null, long? LastSequence = null, bool? DryRun = null, IReadOnlyList<long>? Ids = null);

    public sealed record SequenceAnswer(long LastSequence, long PublishedThrough);

    public sealed record CenterCounters(bool LeaseHolder, long CentralEpoch, long CentralTakeovers, long ChangesCommitted, long ChangesPublished, long RealTimeRowsPublished, long ActivityApplied,
        long ActivityDuplicates, long ActivityRefused, long ResyncsRequested, long SnapshotRequestsRefused);

    /// <summary>
    /// A refused request (400, 404, 409, 413, 415, 422, 428: the caller's input, not a fault here) is logged as information
    /// with its status and reason and no stack trace (<see cref="RefusalLog"/>, sampled under a flood), so that errors in
    /// the log are real faults.
    /// </summary>
    public static async ValueTask<object?> LogRefusalAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var result = await next(context);
        if (result is Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult { StatusCode: >= 400 and < 500 } problem)
        {
            context.HttpContext.RequestServices.GetRequiredService<RefusalLog>().Refused(context.HttpContext, problem.StatusCode, problem.ProblemDetails.Detail);
        }
        return result;
    }

    private static async Task<IResult> ListAsync(string table, CentralDbContext db, CancellationToken cancellationToken)
    {
        if (!ConfigTables.TryFind(table, out var descriptor))
        {
            return UnknownTable(table);
        }
        var type = descriptor.Type;
        var rows = await descriptor.Rows(db).OrderBy(r => r.Id).ToListAsync(cancellationToken);
        // serialized as an array of the table's row type: as a list of objects only the base class's fields came out
        var array = Array.CreateInstance(type, rows.Count);
        ((System.Collections.IList)rows).CopyTo(array, 0);
        return Results.Text(JsonSerializer.Serialize(array, type.MakeArrayType(), Json.Options), "application/json");
    }

    private static async Task<IResult> GetAsync(string table, long id, CentralDbContext db, CancellationToken cancellationToken)
    {
        if (!ConfigTables.TryGet(table, out var type))
        {
            return UnknownTable(table);
        }
        var row = (ConfigRow?)await db.FindAsync(type, [id], cancellationToken);
        return row is null ? Results.Problem($"{table} {id} does not exist.", statusCode: 404) : Results.Json((object)row);
    }

    private static async Task<IResult> UpsertAsync(string table, long id, HttpContext context, ConfigWriter writer, bool? force,
        CancellationToken cancellationToken)
    {
        if (id <= 0)
        {
            return Results.Problem($"The id must be a positive whole number (POST /api/config/{table} without an id lets the center choose one).", statusCode: 422);
        }
        if (!TryExpectedVersion(context.Request, out var expected, out var error))
        {
            return error!;
        }
        var (body, refusal) = await JsonBody.ReadAsync(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        if (TextRules.Check(body) is { } text)
        {
            return Results.Problem(text, statusCode: 400);
        }
        return ToHttp(await writer.UpsertAsync(table, id, body, expected, AuthorOf(context, force), cancellationToken));
    }

    /// <summary>POST /api/config/{table}: the row's id from the body, or (none, or 0) the next free one; 201 with its location.</summary>
    private static async Task<IResult> CreateAsync(string table, HttpContext context, ConfigWriter writer, bool? force, CancellationToken cancellationToken)
    {
        var (body, refusal) = await JsonBody.ReadAsync(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        if (TextRules.Check(body) is { } text)
        {
            return Results.Problem(text, statusCode: 400);
        }
        long id = 0;
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("id", out var given) && given.ValueKind != JsonValueKind.Null && !given.TryGetInt64(out id))
        {
            return Results.Problem($"\"id\" is a whole number, or left out for the center to choose, not {given.GetRawText()}.", statusCode: 400);
        }
        var result = await writer.UpsertAsync(table, id, body, null, AuthorOf(context, force), cancellationToken);
        return result is EditResult.Committed { Row: ConfigRow row } committed
            ? Results.Created($"/api/config/{table}/{row.Id}", new EditAnswer(committed.Sequence, committed.Sequence, row))
            : ToHttp(result);
    }

    private static async Task<IResult> DeleteAsync(string table, long id, HttpContext context, ConfigWriter writer, bool? force,
        CancellationToken cancellationToken)
    {
        if (!TryExpectedVersion(context.Request, out var expected, out var error))
        {
            return error!;
        }
        return ToHttp(await writer.DeleteAsync(table, id, expected, AuthorOf(context, force), cancellationToken));
    }

    /// <summary>The audit's who (the key's name) and from where (the remote address) of a request.</summary>
    private static EditAuthor AuthorOf(HttpContext context, bool? force) =>
        new(context.User.Identity?.Name ?? "?", context.Connection.RemoteIpAddress?.ToString(), force ?? false);

    /// <summary>GET /api/audit?table=&amp;since=&amp;limit=: who changed what, from where, oldest first (since: an ISO 8601 time).</summary>
    private static async Task<IResult> AuditAsync(CentralDbContext db, string? table, DateTimeOffset? since, int? limit, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > 10_000)
        {
            return Results.Problem("limit is from 1 to 10000.", statusCode: 400);
        }
        var query = db.Audit.AsNoTracking();
        if (!string.IsNullOrEmpty(table))
        {
            query = query.Where(a => a.Table == table);
        }
        if (since is { } from)
        {
            query = query.Where(a => a.ChangedAt >= from.ToUniversalTime());
        }
        return Results.Ok(await query.OrderBy(a => a.Sequence).Take(limit ?? 1000).ToListAsync(cancellationToken));
    }

    /// <summary>One change of POST /api/config/batch: op "upsert" (the default, with row) or "delete"; version as If-Match; an upsert without an id gets the next free one.</summary>
    public sealed record BatchChange(string? Table, long Id, string? Op, JsonElement? Row, long? Version);

    public sealed record BatchRequest(List<BatchChange>? Changes);

    /// <summary>
    /// Many changes in one transaction, in the order given, all or nothing; each takes its own sequence. A refused batch
    /// writes nothing and answers 422 (409 when a refusal is a version or reference conflict) naming each refused change
    /// by its index. ?dryRun=true validates the same way and writes nothing.
    /// </summary>
    private static async Task<IResult> BatchAsync(HttpContext context, ConfigWriter writer, bool? dryRun, bool? force, CancellationToken cancellationToken)
    {
        var (body, refusal) = await JsonBody.ReadAsync(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        BatchRequest? request;
        try
        {
            request = body.Deserialize<BatchRequest>(Json.Options);
        }
        catch (JsonException exception)
        {
            return Results.Problem($"The body must be {{\"changes\": [{{\"table\", \"id\", \"op\", \"row\", \"version\"}}, ...]}}: {exception.Message}", statusCode: 400);
        }
        if (request?.Changes is not { Count: > 0 and <= ConfigWriter.MaxBatchSize } changes)
        {
            return Results.Problem($"A batch has from 1 to {ConfigWriter.MaxBatchSize:N0} changes in \"changes\".", statusCode: 400);
        }
        var badText = changes.Select((c, i) => (c, i, problem: TextRules.Problem(c.Table ?? "", "table") ?? (c.Row is { } row ? TextRules.Check(row, "row") : null)))
            .Where(x => x.problem is not null).Take(ConfigWriter.MaxRefusalsReported).ToList();
        if (badText.Count > 0)
        {
            var (change, index, problem) = badText[0];
            return Results.Problem($"{badText.Count} changes carry text that cannot be stored; nothing was written. First: change {index} ({change.Table} {change.Id}): {problem}",
                statusCode: 400, title: "The batch was refused",
                extensions: new Dictionary<string, object?>
                {
                    ["refused"] = badText.Select(x => new { index = x.i, table = x.c.Table, id = x.c.Id, status = 400, reason = x.problem }).ToList(),
                });
        }
        var edits = changes.Select(c => new ConfigEdit(c.Table ?? "", c.Id, c.Op ?? ConfigOperations.Upsert, c.Row, c.Version)).ToList();
        var result = await writer.ApplyAsync(edits, dryRun ?? false, AuthorOf(context, force), cancellationToken);
        if (result.Refused.Count > 0)
        {
            var refused = result.Refused.Select(r => new { index = r.Index, table = r.Table, id = r.Id, status = StatusOf(r.Result), reason = ReasonOf(r.Result) }).ToList();
            var first = refused[0];
            return Results.Problem(
                $"{refused.Count} of {edits.Count} changes refused{(refused.Count >= ConfigWriter.MaxRefusalsReported ? " (the first ones found)" : "")}; nothing was written. First: change {first.index} ({first.table} {first.id}): {first.reason}",
                statusCode: refused.Any(r => r.status == 409) ? 409 : refused.Any(r => r.status == 428) ? 428 : 422,
                title: "The batch was refused",
                extensions: new Dictionary<string, object?> { ["refused"] = refused });
        }
        if (dryRun == true)
        {
            return Results.Ok(new BatchAnswer(edits.Count, DryRun: true));
        }
        return Results.Ok(new BatchAnswer(edits.Count, result.Committed[0].Sequence, result.Committed[^1].Sequence,
            Ids: [.. result.Committed.Select((c, i) => (c.Row as ConfigRow)?.Id ?? edits[i].Id)]));
    }

    private static async Task<IResult> SequenceAsync(CentralDbContext db, CancellationToken cancellationToken)
    {
        var last = (await db.Database.SqlQuery<long>($"SELECT last_value AS \"Value\" FROM config_sequence WHERE id = 1").ToListAsync(cancellationToken)).Single();
        var relay = await db.RelayState.AsNoTracking().SingleAsync(cancellationToken);
        return Results.Ok(new SequenceAnswer(last, relay.PublishedThrough));
    }

    private static bool TryExpectedVersion(HttpRequest request, out long? expected, out IResult? error)
    {
        expected = null;
        error = null;
        var header = request.Headers.IfMatch.ToString().Trim('"', ' ');
        if (header.Length == 0)
        {
            return true;
        }
        if (!long.TryParse(header, out var version) || version < 0)
        {
            error = Results.Problem($"If-Match must be the version (a whole number) you read, not '{header}'.", statusCode: 400);
            return false;
        }
        expected = version;
        return true;
    }

    private static IResult ToHttp(EditResult result) => result switch
    {
        EditResult.Committed c => Results.Ok(new EditAnswer(c.Sequence, c.Sequence, c.Row)),
        EditResult.Conflict c => Results.Problem(c.Reason, statusCode: 409, extensions: new Dictionary<string, object?> { ["currentVersion"] = c.CurrentVersion }),
        EditResult.PreconditionRequired p => Results.Problem(p.Reason, statusCode: 428, extensions: new Dictionary<string, object?> { ["currentVersion"] = p.CurrentVersion }),
        _ => Results.Problem(ReasonOf(result), statusCode: StatusOf(result)),
    };

    private static int StatusOf(EditResult result) => result switch
    {
        EditResult.NotFound => 404,
        EditResult.Conflict => 409,
        EditResult.PreconditionRequired => 428,
        EditResult.Invalid => 422,
        _ => throw new InvalidOperationException($"Unhandled edit result {result}"),
    };

    private static string ReasonOf(EditResult result) => result switch
    {
        EditResult.NotFound n => n.Reason,
        EditResult.Invalid i => i.Reason,
        EditResult.Conflict c => c.Reason,
        EditResult.PreconditionRequired p => p.Reason,
        _ => throw new InvalidOperationException($"Unhandled edit result {result}"),
    };

    private static IResult UnknownTable(string table) =>
        Results.Problem($"Unknown table '{table}'. Known: {string.Join(", ", ConfigTables.All.Select(t => t.Name))}.", statusCode: 404);
}
