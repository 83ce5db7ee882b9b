using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>One refused event of a batch: its place in the batch, its sequence if it had one, the HTTP status and the reason.</summary>
public sealed record BatchRefusal(int Index, long? Sequence, int Status, string Reason);

/// <summary>
/// What became of a batch: committed (every event applied or dropped as a duplicate) or refused (nothing applied:
/// <see cref="Refused"/> says why); the reason the peripheral is asked for a resync, while it awaits one.
/// </summary>
public sealed record BatchIntake(bool Committed, int Applied, int Duplicates, IReadOnlyList<BatchRefusal> Refused, string? ResyncReason);

/// <summary>
/// The one path every peripheral event takes, from the broker (<see cref="ActivityConsumer"/>, one event a message) or
/// HTTP (<see cref="ActivityHttpIngest"/>, a batch): parse, check that it comes from the peripheral it names, hand it to
/// <see cref="GatewayActivity"/>, count and log the outcome, and ask the peripheral's gateway for a resync when the intake
/// says so (on the gateway control exchange).
/// </summary>
public sealed class ActivityIngest(GatewayActivity intake, CentralStats stats, RabbitMqSettings broker, TimeProvider clock, ILogger<ActivityIngest> logger)
    : IAsyncDisposable
{
    private readonly ConfirmingPublisher _control = new(broker, broker.CentralVirtualHost, "rtd central gateway control",
        [Topology.Activity.ControlExchange], logger);

    /// <summary>
    /// One message body; <paramref name="peripheralId"/> is the peripheral its route names (null: not checked). The body is
    /// checked as each event of an HTTP batch is (<see cref="Parse"/>: JSON, text, shape) before the intake sees it.
    /// </summary>
    public async Task<IntakeResult> IngestAsync(ReadOnlyMemory<byte> body, long? peripheralId, CancellationToken cancellationToken)
    {
        JsonElement element;
        try
        {
            using var document = JsonDocument.Parse(body);
            element = document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            return Counted(null, IntakeResult.Refuse($"malformed event: {exception.Message}"));
        }
        var (parsed, problem) = Parse(element);
        if (problem is not null || parsed is not { } e)
        {
            return Counted(parsed, IntakeResult.Refuse(problem ?? "malformed event: empty"));
        }
        if (peripheralId is { } routed && routed != e.PeripheralId)
        {
            return Counted(e, IntakeResult.Refuse($"event of peripheral {e.PeripheralId} sent as peripheral {routed}"));
        }
        var result = Counted(e, intake.Accept(e));
        if (result.ResyncReason is { } reason)
        {
            await RequestResyncAsync(e.PeripheralId, reason, cancellationToken);
        }
        return result;
    }

    /// <summary>
    /// A batch of <paramref name="peripheralId"/>'s events (JSON elements, in the peripheral's order), all or nothing. An
    /// element that is not an event, an event of the wrong shape (400) or of another peripheral (403) refuses the batch
    /// before the intake sees it; an event the intake refuses (422: unknown agent, time out of bounds, ...) refuses it
    /// after, and the intake puts everything back (<see cref="GatewayActivity.AcceptAll"/>). The refused events are
    /// counted as refused; a refused batch applies nothing and takes no sequence.
    /// </summary>
    public async Task<BatchIntake> IngestBatchAsync(IReadOnlyList<JsonElement> items, long peripheralId, CancellationToken cancellationToken)
    {
        var events = new List<PeripheralEvent>(items.Count);
        var refused = new List<BatchRefusal>();
        for (var i = 0; i < items.Count; i++)
        {
            var (e, problem) = Parse(items[i]);
            if (problem is not null)
            {
                refused.Add(new BatchRefusal(i, e?.Sequence, 400, problem));
            }
            else if (e!.PeripheralId != peripheralId)
            {
                refused.Add(new BatchRefusal(i, e.Sequence, 403, $"event of peripheral {e.PeripheralId}: this key posts only peripheral {peripheralId}'s"));
            }
            else
            {
                events.Add(e);
            }
        }
        if (refused.Count == 0)
        {
            var (results, committed, awaiting) = intake.AcceptAll(events);
            refused.AddRange(results.Select((r, i) => (r, i)).Where(x => x.r.Outcome == IntakeOutcome.Refused)
                .Select(x => new BatchRefusal(x.i, events[x.i].Sequence, 422, x.r.Reason!)));
            if (committed)
            {
                foreach (var result in results)
                {
                    stats.ActivityCounted(result.Outcome);
                }
                var resync = results.Select(r => r.ResyncReason).FirstOrDefault(r => r is not null);
                if (resync is not null)
                {
                    await RequestResyncAsync(peripheralId, resync, cancellationToken);
                }
                return new BatchIntake(true, results.Count(r => r.Outcome == IntakeOutcome.Applied), results.Count(r => r.Outcome == IntakeOutcome.Duplicate), [],
                    awaiting ? resync ?? "no resync yet" : null);
            }
        }
        foreach (var _ in refused)
        {
            stats.ActivityCounted(IntakeOutcome.Refused);
        }
        return new BatchIntake(false, 0, 0, refused, null);
    }

    /// <summary>
    /// An element as an event, or why it is not one (the message's shape, whatever the configuration): text the admin API
    /// refuses (NUL, an unpaired surrogate: <see cref="TextRules"/>) anywhere in it, then <see cref="GatewayActivity.Shape"/>.
    /// </summary>
    private static (PeripheralEvent? Event, string? Problem) Parse(JsonElement item)
    {
        try
        {
            return item.Deserialize<PeripheralEvent>(Json.Options) is { } e
                ? (e, TextRules.Check(item, "event") ?? GatewayActivity.Shape(e))
                : (null, "malformed event: empty");
        }
        catch (JsonException exception)
        {
            return (null, $"malformed event: {exception.Message}");
        }
    }

    /// <summary>Asks again every peripheral whose resync did not come within <paramref name="patience"/>.</summary>
    public async Task RemindAsync(TimeSpan patience, CancellationToken cancellationToken)
    {
        foreach (var peripheral in intake.AwaitingResync(clock.GetUtcNow() - patience))
        {
            await RequestResyncAsync(peripheral, "no resync yet", cancellationToken);
        }
    }

    private async Task RequestResyncAsync(long peripheral, string reason, CancellationToken cancellationToken)
    {
        stats.ResyncRequested();
        logger.LogWarning("Asking peripheral {Peripheral} for a resync: {Reason}", peripheral, reason);
        var request = new PeripheralResyncRequested(peripheral, reason, clock.GetUtcNow());
        await _control.PublishAsync([new OutgoingMessage(Topology.Activity.ControlExchange, Topology.Activity.RoutingKey(peripheral),
            Json.Serialize(request), Guid.NewGuid().ToString())], cancellationToken);
    }

    private IntakeResult Counted(PeripheralEvent? e, IntakeResult result)
    {
        stats.ActivityCounted(result.Outcome);
        switch (result.Outcome)
        {
            case IntakeOutcome.Refused:
                logger.LogWarning("Refused an event of peripheral {Peripheral}, sequence {Sequence}: {Reason}", e?.PeripheralId, e?.Sequence, result.Reason);
                break;
            case IntakeOutcome.Duplicate:
                logger.LogDebug("Dropped a duplicate event of peripheral {Peripheral}, sequence {Sequence}", e?.PeripheralId, e?.Sequence);
                break;
        }
        return result;
    }

    public ValueTask DisposeAsync() => _control.DisposeAsync();
}
