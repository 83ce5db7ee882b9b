using System.Data;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Central.Snapshots;

/// <summary>
/// Answers a configuration snapshot request: every table and the last committed sequence, read in one REPEATABLE READ
/// transaction, so the rows are exactly those as of that watermark. The rows stream out as they are read, in chunks of
/// at most <see cref="Topology.Central.ConfigSnapshotChunkRows"/> rows, to the requester's reply queue
/// (<see cref="SnapshotSender"/>; only a <see cref="Topology.Central.SnapshotReplyQueue"/> of the requesting site).
/// A request for the watermark only gets one empty chunk with it.
/// </summary>
public sealed class ConfigSnapshotConsumer(CentralDbContext db, SnapshotSender sender, ILogger<ConfigSnapshotConsumer> logger)
    : IConsumer<ConfigSnapshotRequested>
{
    /// <summary>
    /// The central config snapshot queue, fed by <see cref="Topology.Central.ConfigSnapshotRequestExchange"/>, and this consumer
    /// on it; a quorum queue, like every queue of the central vhost that outlives a connection, so a central cluster keeps
    /// it through the loss of any one node (docs/operations.md, "Central broker cluster").
    /// </summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator bus, IRegistrationContext context) =>
        bus.ReceiveEndpoint(Topology.Central.ConfigSnapshotQueue, e =>
        {
            e.SetQuorumQueue();
            e.UseTopologyQueue();
            e.BindWithoutDeclaring(context, Topology.Central.ConfigSnapshotQueue, Topology.Central.ConfigSnapshotBindings);
            e.ConfigureConsumer<ConfigSnapshotConsumer>(context);
        });

    public async Task Consume(ConsumeContext<ConfigSnapshotRequested> context)
    {
        var request = context.Message;
        if (sender.Refuses(request.Site, request.ReplyTo, request.SnapshotId, SnapshotSender.SenderOf(context)))
        {
            return;
        }
        var cancellationToken = context.CancellationToken;
        var takenAt = DateTimeOffset.UtcNow;

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var watermark = (await db.Database.SqlQuery<long>($"SELECT last_value AS \"Value\" FROM config_sequence WHERE id = 1")
            .ToListAsync(cancellationToken)).Single();
        var chunks = sender.Open<ConfigSnapshotRow>(request.ReplyTo, request.Site, request.SnapshotId, watermark, takenAt,
            Topology.Central.ConfigSnapshotChunkRows);
        foreach (var table in request.WatermarkOnly ? [] : ConfigTables.All)
        {
            await foreach (var row in table.Rows(db).AsNoTracking().OrderBy(r => r.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                await chunks.AddAsync(new ConfigSnapshotRow(table.Name, JsonSerializer.SerializeToElement(row, table.Type, Json.Options)), cancellationToken);
            }
        }
        await chunks.FinishAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (request.WatermarkOnly)
        {
            logger.LogDebug("Told {RequestingSite} the last committed sequence, {Sequence} ({Reason})", request.Site, watermark, request.Reason);
            return;
        }
        logger.LogInformation("Served a configuration snapshot at {Sequence} to {RequestingSite}: {Rows} rows in {Chunks} chunks ({Reason})",
            watermark, request.Site, chunks.TotalRows, chunks.Chunks, request.Reason);
    }
}
