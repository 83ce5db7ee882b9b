using Polly;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// The site's outgoing stream. Apply-and-commit and the publish that follows run under one lock, so site sequences
/// reach the site exchanges in the order they were handed out. Publishing happens only after the replica commit;
/// database work runs in the retry/circuit-breaker pipeline of <see cref="Resilience"/>, and the publish is retried until
/// the broker takes it; if the process dies in between, the message is redelivered and the already-applied change is
/// republished.
/// </summary>
public sealed class SiteStream(DistributorSettings settings, RabbitMqSettings broker, DistributorStats stats, ILogger<SiteStream> logger)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _order = new(1, 1);
    private readonly ResiliencePipeline _database = Resilience.DatabasePipeline(logger, "The site replica");
    private readonly ResiliencePipeline _broker = Resilience.BrokerPipeline(logger, "The site stream");
    private readonly ConfirmingPublisher _publisher = new(broker, Topology.Site.VirtualHost(settings.Site),
        $"rtd {settings.Site} distributor {settings.Instance} site stream", Topology.Site.Exchanges(settings.Site), logger);

    public async Task ApplyThenPublishAsync(Func<CancellationToken, Task<IReadOnlyList<SiteUpdate>>> applyAndCommit, CancellationToken cancellationToken)
    {
        await _order.WaitAsync(cancellationToken);
        try
        {
            var updates = await _database.ExecuteAsync(async ct => await applyAndCommit(ct), cancellationToken);
            var messages = updates.Select(ToMessage).ToList();
            await _broker.ExecuteAsync(async ct => await _publisher.PublishAsync(messages, ct), cancellationToken);
            stats.Published(updates.Count);
        }
        finally
        {
            _order.Release();
        }
    }

    private OutgoingMessage ToMessage(SiteUpdate update) => new(
        Topology.Site.ExchangeFor(settings.Site, update.Kind),
        Topology.Site.RoutingKey(update.Table, update.Key),
        Json.Serialize(update),
        $"{settings.Site}-{update.SiteSequence}");

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        _order.Dispose();
    }
}
