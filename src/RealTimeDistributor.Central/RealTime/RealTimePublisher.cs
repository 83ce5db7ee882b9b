using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>Publishes real-time rows to the central real-time exchange, one message per table and bounded batch.</summary>
public sealed class RealTimePublisher(IBus bus, CentralStats stats, TimeProvider clock)
{
    public const int MaxRowsPerMessage = 500;

    public async Task PublishAsync(string table, IReadOnlyList<RealTimeRow> rows, bool fullRefresh, CancellationToken cancellationToken)
    {
        foreach (var chunk in rows.Chunk(MaxRowsPerMessage))
        {
            await bus.Publish(new RealTimeRowsPublished(table, fullRefresh, clock.GetUtcNow(), chunk), cancellationToken);
            stats.RealTimePublished(chunk.Length);
        }
    }
}
