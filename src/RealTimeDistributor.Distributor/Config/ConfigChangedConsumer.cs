using System.Diagnostics;
using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// updateaw's intake: consumes the site's config queue on the central vhost with raw RabbitMQ.Client
/// (<see cref="RawQueueConsumer"/>: up to <see cref="Topology.Central.DistributorConfigInFlight"/> changes at once,
/// multiple-acks, only while this process holds the site lease) and hands each change to the ordered apply loop
/// (<see cref="ConfigStream"/>). A message is acked once its change is in the replica and republished (MassTransit acked
/// each message on its own, and its per-message receive pipeline was most of this process's CPU on a backlog). A change
/// that cannot apply goes, alone, to <c>&lt;queue&gt;_error</c> with its reason (docs/operations.md), once, and is acked:
/// a message that is not application/json, does not parse, fails <see cref="ConfigChangeRules.Validate"/>, or claims a
/// sequence the center never committed (<see cref="ConfigStream"/>) does not hold back the ones after it and brings no
/// resync (a genuine change it stood in for still comes, or shows up as a gap). Any other failure is tried again until
/// the host stops, and a message not done by then stays unacked: the broker redelivers it when the channel closes (the
/// standby or the next start skips what the replica has). A change of a lower central epoch than the highest seen
/// (<see cref="CentralEpochFence"/>) is acked and ignored.
/// This connection is the distributor's link to the center (<see cref="SiteLinks.Center"/>): consuming means reached, a
/// failed or closed connection means lost.
/// </summary>
public sealed class ConfigChangedConsumer(RabbitMqSettings broker, DistributorSettings settings, ConfigStream stream, SiteLease lease, RtdMetrics metrics,
    SiteLinks links, CentralEpochFence fence, ConfigTraces traces, TimeProvider clock, ILogger<ConfigChangedConsumer> logger) : BackgroundService
{
    private readonly RawQueue _queue = new(broker.CentralVirtualHost, Topology.Central.DistributorConfigQueue(settings.Site),
        Topology.Central.DistributorConnectionName(settings.Site, settings.Instance), Topology.Central.DistributorConfigInFlight,
        (connection, channel, ct) => QueueDeclarations.DeclareDistributorConfigQueueAsync(connection, channel, settings.Site, settings.CentralQueueMaxLength, ct))
    {
        Concurrent = true,
        Gate = new("the site lease", async ct => (await lease.WaitAsync(ct)).Lost),
        Link = links.Center,
    };

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        new RawQueueConsumer(broker, _queue, clock, logger).RunAsync(HandleAsync, stoppingToken);

    private async Task<Refusal?> HandleAsync(Delivery delivery, CancellationToken stopping)
    {
        try
        {
            var change = Parse(delivery.Properties.ContentType, delivery.Body);
            if (!fence.Admit(change.CentralEpoch, $"config change {change.Sequence}"))
            {
                return null; // a former active center's copy of a committed change: the active one publishes it too
            }
            // a traced edit's apply hop: from arrival to applied and republished to the site (RtdTracing)
            using var span = RtdTracing.StartHop(RtdTracing.Hops.Apply, ActivityKind.Consumer, RtdTracing.FromHeaders(delivery.Properties.Headers),
                change.Sequence);
            traces.Open(change.Sequence, span);
            try
            {
                await SubmitAsync(change, stopping);
            }
            finally
            {
                traces.Close(change.Sequence);
            }
            metrics.ConfigAcked(clock.GetUtcNow() - change.CommittedAt);
            return null;
        }
        catch (PoisonMessageException poison)
        {
            logger.LogWarning("Config change {Sequence} refused to {Queue}: {Reason}", poison.Sequence, Topology.ErrorQueue(_queue.Queue), poison.Message);
            return Refusal.From(poison);
        }
    }

    /// <summary>Hands the change to the apply loop; a passing failure (not poison) is tried again until the host stops.</summary>
    private async Task SubmitAsync(ConfigChanged change, CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                await stream.SubmitAsync(change, CancellationToken.None);
                return;
            }
            catch (Exception exception) when (exception is not PoisonMessageException && !stopping.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Config change {Sequence} failed; trying again", change.Sequence);
                await Task.Delay(TimeSpan.FromSeconds(1), stopping);
            }
        }
    }

    private static ConfigChanged Parse(string? contentType, byte[] body)
    {
        PoisonMessageException.RequireJson(contentType);
        try
        {
            return JsonSerializer.Deserialize<ConfigChanged>(body, Json.Options) ?? throw new PoisonMessageException("The message is empty.");
        }
        catch (JsonException exception)
        {
            throw new PoisonMessageException($"The message does not parse as a configuration change: {exception.Message}");
        }
    }
}
