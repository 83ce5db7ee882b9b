using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The admin API (127.0.0.1 by default). An edit may name the version it read in an If-Match header; a stale one gets
/// 409 with the current version. Bad input gets 400/404/422 with a reason and changes nothing.
/// </summary>
public static class AdminApi
{
    public static void MapAdminApi(this WebApplication app)
    {
        var config = app.MapGroup("/api/config");
        config.MapPost("/batch", BatchAsync);
        config.MapGet("/{table}", ListAsync);
        config.MapGet("/{table}/{id:long}", GetAsync);
        config.MapPut("/{table}/{id:long}", UpsertAsync);
        config.MapDelete("/{table}/{id:long}", DeleteAsync);
        app.MapGet("/api/sequence", SequenceAsync);
        app.MapGet("/stats", (CentralStats stats) => Results.Ok(new
        {
            stats.ChangesCommitted,
            stats.ChangesPublished,
            stats.RealTimeRowsPublished,
        }));
        app.MapHealthAndMetrics();
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

    private static async Task<IResult> UpsertAsync(string table, long id, [FromBody] JsonElement body, HttpRequest request, ConfigWriter writer,
        CancellationToken cancellationToken)
    {
        if (!TryExpectedVersion(request, out var expected, out var error))
        {
            return error!;
        }
        return ToHttp(await writer.UpsertAsync(table, id, body, expected, cancellationToken));
    }

    private static async Task<IResult> DeleteAsync(string table, long id, HttpRequest request, ConfigWriter writer, CancellationToken cancellationToken)
    {
        if (!TryExpectedVersion(request, out var expected, out var error))
        {
            return error!;
        }
        return ToHttp(await writer.DeleteAsync(table, id, expected, cancellationToken));
    }

    /// <summary>One change of POST /api/config/batch: op "upsert" (the default, with row) or "delete"; version as If-Match.</summary>
    public sealed record BatchChange(string? Table, long Id, string? Op, JsonElement? Row, long? Version);

    public sealed record BatchRequest(List<BatchChange>? Changes);

    /// <summary>
    /// Many changes in one transaction, in the order given, all or nothing; each takes its own sequence. A refused batch
    /// writes nothing and answers 422 (409 when a refusal is a version or reference conflict) naming each refused change
    /// by its index. ?dryRun=true validates the same way and writes nothing.
    /// </summary>
    private static async Task<IResult> BatchAsync([FromBody] JsonElement body, ConfigWriter writer, bool? dryRun, CancellationToken cancellationToken)
    {
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
        var edits = changes.Select(c => new ConfigEdit(c.Table ?? "", c.Id, c.Op ?? ConfigOperations.Upsert, c.Row, c.Version)).ToList();
        var result = await writer.ApplyAsync(edits, dryRun ?? false, cancellationToken);
        if (result.Refused.Count > 0)
        {
            var refused = result.Refused.Select(r => new { index = r.Index, table = r.Table, id = r.Id, status = StatusOf(r.Result), reason = ReasonOf(r.Result) }).ToList();
            var first = refused[0];
            return Results.Problem(
                $"{refused.Count} of {edits.Count} changes refused{(refused.Count >= ConfigWriter.MaxRefusalsReported ? " (the first ones found)" : "")}; nothing was written. First: change {first.index} ({first.table} {first.id}): {first.reason}",
                statusCode: refused.Any(r => r.status == 409) ? 409 : 422,
                title: "The batch was refused",
                extensions: new Dictionary<string, object?> { ["refused"] = refused });
        }
        if (dryRun == true)
        {
            return Results.Ok(new { dryRun = true, count = edits.Count });
        }
        return Results.Ok(new { count = edits.Count, firstSequence = result.Committed[0].Sequence, lastSequence = result.Committed[^1].Sequence });
    }

    private static async Task<IResult> SequenceAsync(CentralDbContext db, CancellationToken cancellationToken)
    {
        var last = (await db.Database.SqlQuery<long>($"SELECT last_value AS \"Value\" FROM config_sequence WHERE id = 1").ToListAsync(cancellationToken)).Single();
        var relay = await db.RelayState.AsNoTracking().SingleAsync(cancellationToken);
        return Results.Ok(new { lastSequence = last, publishedThrough = relay.PublishedThrough });
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
        EditResult.Committed c => Results.Ok(new { sequence = c.Sequence, version = c.Sequence, row = c.Row }),
        EditResult.Conflict c => Results.Problem(c.Reason, statusCode: 409, extensions: new Dictionary<string, object?> { ["currentVersion"] = c.CurrentVersion }),
        _ => Results.Problem(ReasonOf(result), statusCode: StatusOf(result)),
    };

    private static int StatusOf(EditResult result) => result switch
    {
        EditResult.NotFound => 404,
        EditResult.Conflict => 409,
        EditResult.Invalid => 422,
        _ => throw new InvalidOperationException($"Unhandled edit result {result}"),
    };

    private static string ReasonOf(EditResult result) => result switch
    {
        EditResult.NotFound n => n.Reason,
        EditResult.Invalid i => i.Reason,
        EditResult.Conflict c => c.Reason,
        _ => throw new InvalidOperationException($"Unhandled edit result {result}"),
    };

    private static IResult UnknownTable(string table) =>
        Results.Problem($"Unknown table '{table}'. Known: {string.Join(", ", ConfigTables.All.Select(t => t.Name))}.", statusCode: 404);
}
