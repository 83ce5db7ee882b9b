using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>
/// Consumes the peripheral events from <see cref="Topology.Activity.Queue"/> with raw RabbitMQ.Client
/// (<see cref="RawQueueConsumer"/>), one at a time in queue order (a peripheral's events stay in its sequence), through
/// <see cref="ActivityIngest"/>. A refused event goes, alone, to the queue's <c>_error</c> queue with its reason in
/// MT-Fault-Message (what `rtd errors list` shows); a duplicate is dropped. Starts once the statistics configuration is
/// loaded, so every event can be checked. Every second it asks again a peripheral whose resync has not come for 10 seconds.
/// Consumes, and asks, only on the active center (<see cref="CentralLease"/>): a standby leaves the queue to it.
/// </summary>
internal sealed class ActivityConsumer(RabbitMqSettings broker, ActivityIngest ingest, GatewayActivity intake, CentralLease lease, TimeProvider clock,
    ILogger<ActivityConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan ResyncPatience = TimeSpan.FromSeconds(10);

    private RawQueue Queue => new(broker.CentralVirtualHost, Topology.Activity.Queue, "rtd central activity", Topology.Activity.InFlight,
        async (connection, channel, ct) =>
        {
            await QueueDeclarations.DeclareActivityQueueAsync(connection, channel, ct);
            await QueueDeclarations.DeclareErrorQueueAsync(channel, Topology.Activity.Queue, ct);
        })
    {
        Gate = new("the central lease", async ct => (await lease.WaitAsync(ct)).Lost),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await intake.Configured.WaitAsync(stoppingToken);
        var reminders = RemindAsync(stoppingToken);
        await new RawQueueConsumer(broker, Queue, clock, logger).RunAsync(HandleAsync, stoppingToken);
        await reminders;
    }

    private async Task RemindAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (lease.Current is null)
                    {
                        continue;
                    }
                    await ingest.RemindAsync(ResyncPatience, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogWarning(exception, "Asking for resyncs failed; trying again in a second");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>One event: ingested, or refused (then parked with its reason); a duplicate is done too.</summary>
    private async Task<Refusal?> HandleAsync(Delivery delivery, CancellationToken stoppingToken)
    {
        var result = await ingest.IngestAsync(delivery.Body, PeripheralOf(delivery.RoutingKey), stoppingToken);
        return result.Outcome == IntakeOutcome.Refused ? new Refusal(result.Reason!, "RefusedPeripheralEvent") : null;
    }

    /// <summary>The peripheral "peripheral.{id}" names; 0 (no peripheral has it) for any other key.</summary>
    private static long PeripheralOf(string routingKey) =>
        routingKey.StartsWith("peripheral.", StringComparison.Ordinal) && long.TryParse(routingKey["peripheral.".Length..], out var id) ? id : 0;
}
