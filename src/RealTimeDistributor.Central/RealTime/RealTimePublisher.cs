using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// Publishes real-time rows to the central real-time exchange, one message per table and bounded batch. Up to
/// <see cref="MaxMessagesInFlight"/> messages are published at once (each awaits its broker confirm): order between
/// them does not matter, because every row carries its version.
/// </summary>
public sealed class RealTimePublisher(IBus bus, CentralStats stats, TimeProvider clock)
{
    public const int MaxRowsPerMessage = 500;
    public const int MaxMessagesInFlight = 32;

    public async Task PublishAsync(string table, IReadOnlyList<RealTimeRow> rows, bool fullRefresh, CancellationToken cancellationToken)
    {
        foreach (var messages in rows.Chunk(MaxRowsPerMessage).Chunk(MaxMessagesInFlight))
        {
            await Task.WhenAll(messages.Select(chunk => bus.Publish(new RealTimeRowsPublished(table, fullRefresh, clock.GetUtcNow(), chunk), cancellationToken)));
            stats.RealTimePublished(messages.Sum(m => m.Length));
        }
    }
}
