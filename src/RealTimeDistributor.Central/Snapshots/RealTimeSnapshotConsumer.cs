using System.Diagnostics;
using MassTransit;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Snapshots;

/// <summary>
/// Answers a real-time snapshot request from the statistics engine's memory: one copy of every row taken under the
/// engine's lock (<see cref="StatisticsEngine.Current"/>, consistent with one interval), sent back to the requester's
/// response address (<see cref="RealTimeSnapshotSender"/>) in chunks of one table, of at most <see cref="Topology.Central.RealTimeSnapshotChunkRows"/> rows and
/// <see cref="Topology.Central.RealTimeSnapshotChunkMaxBytes"/> bytes of JSON, in
/// order, each awaited (publisher confirms), the last one marked.
/// </summary>
public sealed class RealTimeSnapshotConsumer(StatisticsEngine engine, RealTimeSnapshotSender sender, TimeProvider clock,
    ILogger<RealTimeSnapshotConsumer> logger)
    : IConsumer<RealTimeSnapshotRequested>
{
    public async Task Consume(ConsumeContext<RealTimeSnapshotRequested> context)
    {
        var request = context.Message;
        // the response address of a MassTransit requester is its bus endpoint, ".../{vhost}/{exchange}?temporary=true"; only
        // such an exchange is answered, so a request cannot make the center write its chunks into one of the central streams
        var exchange = context.ResponseAddress?.AbsolutePath.Split('/')[^1] ?? "";
        if (!exchange.Contains("_bus_", StringComparison.Ordinal) || exchange.Contains('.', StringComparison.Ordinal))
        {
            logger.LogWarning("Ignored real-time snapshot request {SnapshotId} from {RequestingSite}: response address {ResponseAddress} is not a bus endpoint",
                request.SnapshotId, request.Site, context.ResponseAddress);
            return;
        }
        var started = Stopwatch.StartNew();
        var takenAt = clock.GetUtcNow();
        var (intervalAt, tables) = engine.Current();
        var wanted = request.Tables is { Count: > 0 } names ? tables.Where(t => names.Contains(t.Table)).ToList() : tables;
        var parts = wanted.SelectMany(t => Chunks(t.Rows).Select(rows => (t.Table, Rows: rows))).ToList();
        if (parts.Count == 0)
        {
            parts.Add((RealTimeTables.Agent, [])); // an empty engine still answers: one empty last chunk
        }
        var total = parts.Sum(p => (long)p.Rows.Count);
        var chunks = parts.Select((p, i) => new RealTimeSnapshotChunk(request.Site, request.SnapshotId, i, parts.Count, i == parts.Count - 1, total, intervalAt,
            takenAt, p.Table, p.Rows)).ToList();
        await sender.SendAsync(exchange, chunks, context.CancellationToken);
        logger.LogInformation(
            "Served real-time snapshot {SnapshotId} of the interval at {IntervalAt} to {RequestingSite}: {Rows} rows in {Chunks} chunks, {ElapsedMs} ms",
            request.SnapshotId, intervalAt, request.Site, total, parts.Count, started.ElapsedMilliseconds);
    }

    /// <summary>JSON of a chunk without its rows, at most (ids, times, counts, field names); plus a comma per row.</summary>
    private const int ChunkOverhead = 1024;

    /// <summary>Splits a table's rows into chunks of at most RealTimeSnapshotChunkRows rows and RealTimeSnapshotChunkMaxBytes bytes of JSON.</summary>
    public static IEnumerable<List<RealTimeRow>> Chunks(IReadOnlyList<RealTimeRow> rows)
    {
        var chunk = new List<RealTimeRow>();
        var bytes = ChunkOverhead;
        foreach (var row in rows)
        {
            var size = 1 + Json.Serialize(row).Length; // as the wire will carry it (escaping included): rows differ in size
            if (chunk.Count > 0 && (chunk.Count == Topology.Central.RealTimeSnapshotChunkRows || bytes + size > Topology.Central.RealTimeSnapshotChunkMaxBytes))
            {
                yield return chunk;
                (chunk, bytes) = ([], ChunkOverhead);
            }
            chunk.Add(row);
            bytes += size;
        }
        if (chunk.Count > 0)
        {
            yield return chunk;
        }
    }
}
