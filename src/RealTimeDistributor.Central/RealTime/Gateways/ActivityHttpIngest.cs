using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using RealTimeDistributor.Central.Admin;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>
/// POST /api/activity: the activity exchange's events over HTTP, for a source that cannot speak AMQP. The body is a JSON
/// array of the same events (docs/wire-format.md), in the peripheral's order; the key (X-Api-Key) has the role ingest and
/// names the one peripheral whose events it may post. The batch goes through <see cref="ActivityIngest"/> all or nothing:
/// 200 with what was applied (and the reason of a resync the peripheral owes), or a 4xx with each refused event's index and
/// reason and nothing applied (415 not sent as JSON, 400 not an array of events, 403 another peripheral's event, 413 too many, 422 refused by
/// the checks against the configuration and the clock), 503 on a standby center (only the active one takes activity). A refusal is logged at Information (the caller's input, no fault here).
/// </summary>
public static class ActivityHttpIngest
{
    public const string Path = "/api/activity";

    /// <summary>The most events in one request (a second of a 12,000-agent center fits many times over).</summary>
    public const int MaxBatch = 10_000;

    /// <summary>The most refused events a refusal lists.</summary>
    private const int MaxListed = 100;

    public static void MapActivityIngest(this IEndpointRouteBuilder app) =>
        app.MapPost(Path, PostAsync).RequireAuthorization(AdminRoles.IngestPolicy).AddEndpointFilter(AdminApi.LogRefusalAsync)
            .AnswersWithKey().Answers<IngestAnswer>("A peripheral's events (a JSON array, docs/wire-format.md), applied all or nothing.", 400, 409, 413, 415, 422, 503);

    /// <summary>An applied batch: events applied, duplicates skipped, and the reason of a resync the peripheral owes (or null).</summary>
    public sealed record IngestAnswer(int Applied, int Duplicates, string? ResyncRequested);

    private static async Task<IResult> PostAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var peripheral = long.Parse(context.User.FindFirstValue(AdminRoles.PeripheralClaim)!, CultureInfo.InvariantCulture);
        if (context.RequestServices.GetService<ActivityIngest>() is not { } ingest)
        {
            return Results.Problem("This center takes no gateway activity (RealTime:Source is not gateways).", statusCode: 409);
        }
        if (context.RequestServices.GetRequiredService<Lease.CentralLease>().Current is null)
        {
            context.Response.Headers.RetryAfter = "1";
            return Results.Problem("This center is a standby (it does not hold the central lease): send the batch to the active center, or again in a second.",
                statusCode: 503);
        }
        if (!context.RequestServices.GetRequiredService<GatewayActivity>().Configured.IsCompleted)
        {
            context.Response.Headers.RetryAfter = "1";
            return Results.Problem("The center has not loaded its configuration yet: send the batch again in a second.", statusCode: 503);
        }
        var (body, refusal) = await JsonBody.ReadAsync(context.Request, cancellationToken);
        if (refusal is not null)
        {
            return refusal;
        }
        if (body.ValueKind != JsonValueKind.Array)
        {
            return Results.Problem("The body must be a JSON array of events ([{\"peripheralId\", \"session\", \"sequence\", \"type\", \"at\", ...}, ...]).",
                statusCode: 400);
        }
        var count = body.GetArrayLength();
        if (count is 0 or > MaxBatch)
        {
            return Results.Problem($"A batch has from 1 to {MaxBatch:N0} events, not {count:N0}.", statusCode: count == 0 ? 400 : 413);
        }
        var batch = await ingest.IngestBatchAsync([.. body.EnumerateArray()], peripheral, cancellationToken);
        if (!batch.Committed)
        {
            var first = batch.Refused[0];
            return Results.Problem(
                $"{batch.Refused.Count} of {count} events refused; nothing was applied. First: event {first.Index} (sequence {first.Sequence?.ToString(CultureInfo.InvariantCulture) ?? "?"}): {first.Reason}",
                statusCode: batch.Refused.Min(r => r.Status), // 400 before 403 before 422
                title: "The batch was refused",
                extensions: new Dictionary<string, object?>
                {
                    ["refused"] = batch.Refused.Take(MaxListed).Select(r => new { index = r.Index, sequence = r.Sequence, status = r.Status, reason = r.Reason }).ToList(),
                });
        }
        return Results.Ok(new IngestAnswer(batch.Applied, batch.Duplicates, batch.ResyncReason));
    }
}
