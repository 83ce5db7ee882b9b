using System.Data;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Snapshots;

/// <summary>
/// Answers a configuration snapshot request: every table and the last committed sequence, read in one REPEATABLE READ
/// transaction, so the rows are exactly those as of that watermark. The rows stream out in chunks of at most
/// <see cref="Topology.Central.ConfigSnapshotChunkRows"/> rows to the requester's response address, as they are read.
/// </summary>
public sealed class ConfigSnapshotConsumer(CentralDbContext db, ILogger<ConfigSnapshotConsumer> logger) : IConsumer<ConfigSnapshotRequested>
{
    public async Task Consume(ConsumeContext<ConfigSnapshotRequested> context)
    {
        var request = context.Message;
        var replyTo = context.ResponseAddress
            ?? throw new InvalidOperationException($"Snapshot request {request.SnapshotId} from site {request.Site} has no response address.");
        var endpoint = await context.GetSendEndpoint(replyTo);
        var cancellationToken = context.CancellationToken;
        var takenAt = DateTimeOffset.UtcNow;

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var watermark = (await db.Database.SqlQuery<long>($"SELECT last_value AS \"Value\" FROM config_sequence WHERE id = 1")
            .ToListAsync(cancellationToken)).Single();
        var index = 0;
        long total = 0;
        var tables = new List<ConfigSnapshotTable>();
        var inChunk = 0;
        foreach (var (name, type) in ConfigTables.All)
        {
            var rows = new List<JsonElement>();
            await foreach (var row in db.ConfigRows(type).AsNoTracking().OrderBy(r => r.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                rows.Add(JsonSerializer.SerializeToElement(row, type, Json.Options));
                if (++inChunk == Topology.Central.ConfigSnapshotChunkRows)
                {
                    tables.Add(new ConfigSnapshotTable(name, rows));
                    await SendAsync(last: false);
                    rows = [];
                }
            }
            if (rows.Count > 0)
            {
                tables.Add(new ConfigSnapshotTable(name, rows));
            }
        }
        await SendAsync(last: true);
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Served a configuration snapshot at {Sequence} to {RequestingSite}: {Rows} rows in {Chunks} chunks ({Reason})",
            watermark, request.Site, total, index, request.Reason);

        async Task SendAsync(bool last)
        {
            total += inChunk;
            var chunk = new ConfigSnapshotChunk(request.SnapshotId, watermark, index++, last, total, takenAt, tables);
            await endpoint.Send(chunk, cancellationToken);
            tables = [];
            inChunk = 0;
        }
    }
}
