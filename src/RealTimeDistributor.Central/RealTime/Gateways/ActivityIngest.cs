using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>
/// The one path every peripheral event takes, from the broker (<see cref="ActivityConsumer"/>) or HTTP: parse, check that it
/// comes from the peripheral it names, hand it to <see cref="GatewayActivity"/>, count and log the outcome, and ask the
/// peripheral's gateway for a resync when the intake says so (on the gateway control exchange).
/// </summary>
public sealed class ActivityIngest(GatewayActivity intake, CentralStats stats, RabbitMqSettings broker, TimeProvider clock, ILogger<ActivityIngest> logger)
    : IAsyncDisposable
{
    private readonly ConfirmingPublisher _control = new(broker, broker.CentralVirtualHost, "rtd central gateway control",
        [Topology.Activity.ControlExchange], logger);

    /// <summary>One message body; <paramref name="peripheralId"/> is the peripheral its route names (null: not checked).</summary>
    public async Task<IntakeResult> IngestAsync(ReadOnlyMemory<byte> body, long? peripheralId, CancellationToken cancellationToken)
    {
        PeripheralEvent? e;
        try
        {
            e = JsonSerializer.Deserialize<PeripheralEvent>(body.Span, Json.Options);
        }
        catch (JsonException exception)
        {
            return Counted(null, IntakeResult.Refuse($"malformed event: {exception.Message}"));
        }
        return await IngestAsync(e, peripheralId, cancellationToken);
    }

    /// <summary>One parsed event (null: the body was JSON null).</summary>
    public async Task<IntakeResult> IngestAsync(PeripheralEvent? e, long? peripheralId, CancellationToken cancellationToken)
    {
        if (e is null)
        {
            return Counted(null, IntakeResult.Refuse("malformed event: empty"));
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
