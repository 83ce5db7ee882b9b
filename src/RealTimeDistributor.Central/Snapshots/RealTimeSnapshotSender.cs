using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Snapshots;

/// <summary>
/// Sends real-time snapshot chunks to a requester's response exchange (its MassTransit bus endpoint, <c>*_bus_*</c>) with
/// <see cref="ConfirmingPublisher"/>: plain System.Text.Json bytes, so the size of a chunk on the wire is the size the
/// consumer measured when it cut the chunk; in order, with publisher confirms, a few chunks in flight at a time.
/// Nothing is declared: an exchange that is gone means its requester is gone too.
/// </summary>
public sealed class RealTimeSnapshotSender(RabbitMqSettings broker, ILogger<RealTimeSnapshotSender> logger) : IAsyncDisposable
{
    private const int ChunksInFlight = 16;

    private readonly ConfirmingPublisher _publisher = new(broker, broker.CentralVirtualHost, "rtd central real-time snapshots", [], logger);

    public async Task SendAsync(string exchange, IReadOnlyList<RealTimeSnapshotChunk> chunks, CancellationToken cancellationToken)
    {
        foreach (var group in chunks.Chunk(ChunksInFlight))
        {
            await _publisher.PublishAsync([.. group.Select(c => new OutgoingMessage(exchange, "", Json.Serialize(c), $"realtime-snapshot-{c.SnapshotId:N}-{c.Index}"))],
                cancellationToken);
        }
    }

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}
