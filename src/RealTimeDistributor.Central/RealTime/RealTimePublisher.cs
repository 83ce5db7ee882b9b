using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// Publishes real-time rows to the central real-time exchange (routing key: the table), one message per table and
/// bounded batch, with raw RabbitMQ.Client on one channel with pipelined publisher confirms (<see cref="ConfirmingPublisher"/>,
/// the change-log relay's path): up to <see cref="MaxMessagesInFlight"/> messages are written before their confirms are
/// awaited. The bytes are the ones MassTransit's raw JSON serializer writes (as the relay's <c>ConfigChanged</c>), which
/// the distributor's MassTransit consumer reads; MassTransit's own publish cost 3-8 times as much per row
/// (docs/benchmarks.md). Order between messages does not matter, because every row carries its version.
/// </summary>
public sealed class RealTimePublisher(RabbitMqSettings broker, CentralStats stats, TimeProvider clock, ILogger<RealTimePublisher> logger)
    : IAsyncDisposable
{
    public const int MaxRowsPerMessage = 500;
    public const int MaxMessagesInFlight = 32;

    private readonly ConfirmingPublisher _publisher = new(broker, broker.CentralVirtualHost, "rtd central real-time",
        [Topology.Central.RealTimeExchange], logger);

    /// <summary>The rows of one table, with no central epoch (a test's or a tool's publisher: not fenced).</summary>
    public Task PublishAsync(string table, IReadOnlyList<RealTimeRow> rows, bool fullRefresh, CancellationToken cancellationToken) =>
        PublishAsync(table, rows, fullRefresh, 0, cancellationToken);

    /// <summary>The rows of one table, under <paramref name="centralEpoch"/> (the active center's lease epoch, on every batch).</summary>
    public async Task PublishAsync(string table, IReadOnlyList<RealTimeRow> rows, bool fullRefresh, long centralEpoch, CancellationToken cancellationToken)
    {
        foreach (var messages in rows.Chunk(MaxRowsPerMessage).Chunk(MaxMessagesInFlight))
        {
            var publishedAt = clock.GetUtcNow();
            await _publisher.PublishAsync([.. messages.Select(chunk => ToMessage(new RealTimeRowsPublished(table, fullRefresh, publishedAt, chunk, centralEpoch)))],
                cancellationToken);
            stats.RealTimePublished(messages.Sum(m => m.Length));
        }
    }

    /// <summary>One batch as it goes on the wire: the central real-time exchange, keyed by table, raw JSON.</summary>
    public static OutgoingMessage ToMessage(RealTimeRowsPublished batch) => new(
        Topology.Central.RealTimeExchange,
        Topology.Central.RealTimeRoutingKey(batch.Table),
        Json.Serialize(batch),
        Guid.NewGuid().ToString());

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}
