using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// Sends snapshot chunks straight to the requesting workstation's queue (default exchange, routing key = queue name),
/// in order, with publisher confirms. Nothing is declared: a queue that is gone means its client is gone too.
/// </summary>
public sealed class SnapshotSender(DistributorSettings settings, RabbitMqSettings broker, ILogger<SnapshotSender> logger) : IAsyncDisposable
{
    private readonly ConfirmingPublisher _publisher = new(broker, Topology.Site.VirtualHost(settings.Site),
        $"rtd {settings.Site} distributor {settings.Instance} snapshots", [], logger);

    public Task SendAsync(string queue, SiteSnapshotChunk chunk, CancellationToken cancellationToken) =>
        _publisher.PublishAsync([new OutgoingMessage("", queue, Json.Serialize(chunk), $"{chunk.Site}-snapshot-{chunk.SnapshotId:N}-{chunk.Index}")],
            cancellationToken);

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}
