using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// rtclient's initial load: answers a workstation's snapshot request from the replica. The site sequence, the
/// configuration tables and realtime_row are read in ONE repeatable-read transaction, so the rows are exactly the state
/// after that site sequence (SiteStream hands out a site sequence in the same transaction that writes the rows). Rows
/// are filtered by the request's binding keys and sent in chunks of <see cref="Topology.Site.SnapshotChunkRows"/> to the
/// workstation's snapshot queue (<see cref="SnapshotSender"/>; only a <see cref="Topology.Site.ClientSnapshotQueue"/> of this site).
/// </summary>
public sealed class SiteSnapshotConsumer(ReplicaDbContext db, SnapshotSender sender, DistributorSettings settings, TimeProvider clock,
    ILogger<SiteSnapshotConsumer> logger) : IConsumer<SiteSnapshotRequested>
{
    /// <summary>
    /// The site's snapshot queue on the site bus (<see cref="Topology.Site.SnapshotQueueArguments"/>; every instance of the
    /// site competes on it) and this consumer on it, one request at a time.
    /// </summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator bus, IRegistrationContext context, DistributorSettings settings, RabbitMqSettings broker) =>
        bus.ReceiveEndpoint(Topology.Site.SnapshotQueue(settings.Site), e =>
        {
            e.UseTopologyQueue(Topology.Site.SnapshotQueueArguments);
            e.PrefetchCount = 2;
            e.ConcurrentMessageLimit = 1;
            e.BindWithoutDeclaring(context, Topology.Site.SnapshotQueue(settings.Site), Topology.Site.SnapshotQueueBindings(settings.Site),
                Topology.Site.VirtualHost(settings.Site), broker);
            // a dead pooled connection (the replica's backends terminated) fails its first use: try again on a fresh one
            e.UseMessageRetry(r =>
            {
                r.Handle<Exception>(Resilience.IsTransient);
                r.Intervals(100, 500, 1000, 2000);
            });
            e.ConfigureConsumer<SiteSnapshotConsumer>(context);
        });

    public async Task Consume(ConsumeContext<SiteSnapshotRequested> context)
    {
        var request = context.Message;
        var ct = context.CancellationToken;
        if (sender.Refuses(request.Site, request.ReplyTo, request.SnapshotId, SnapshotSender.SenderOf(context)))
        {
            return;
        }
        IReadOnlyList<string> bindings = request.Bindings is { Count: > 0 } ? request.Bindings : [Topology.AllKeys];
        var started = Stopwatch.StartNew();
        var takenAt = clock.GetUtcNow();

        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        // the site sequence, and the epoch and stream the rows were committed under, as of this transaction
        var state = (await db.SyncState.AsNoTracking().Where(s => s.Site == settings.Site)
            .Select(s => new { s.SiteSequence, s.Epoch, s.StreamId }).ToListAsync(ct)).Single();
        var siteSequence = state.SiteSequence;
        var chunks = sender.Open<SiteSnapshotRow>(request.ReplyTo, settings.Site, request.SnapshotId, siteSequence, takenAt, Topology.Site.SnapshotChunkRows,
            epoch: state.Epoch, streamId: state.StreamId);

        foreach (var table in ConfigTables.All.Where(t => bindings.Any(b => TopicPattern.CanMatchTable(b, t.Name))))
        {
            await foreach (var row in table.Rows(db).AsNoTracking().OrderBy(r => r.Id).AsAsyncEnumerable().WithCancellation(ct))
            {
                var key = row.Id.ToString(CultureInfo.InvariantCulture);
                if (TopicPattern.MatchesAny(bindings, Topology.Site.RoutingKey(table.Name, key)))
                {
                    await chunks.AddAsync(new SiteSnapshotRow(SiteUpdate.ConfigKind, table.Name, key, row.ConfigSequence, takenAt,
                        JsonSerializer.SerializeToElement(row, table.Type, Json.Options)), ct);
                }
            }
        }

        var realTimeTables = RealTimeTables.All.Where(t => bindings.Any(b => TopicPattern.CanMatchTable(b, t))).ToArray();
        await using (var command = new NpgsqlCommand(
            "SELECT table_name, key, version, central_updated_at, data::text FROM realtime_row WHERE table_name = ANY(@tables) ORDER BY table_name, key",
            (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction()))
        {
            command.Parameters.AddWithValue("tables", realTimeTables);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (table, key) = (reader.GetString(0), reader.GetString(1));
                if (TopicPattern.MatchesAny(bindings, Topology.Site.RoutingKey(table, key)))
                {
                    using var data = JsonDocument.Parse(reader.GetString(4));
                    await chunks.AddAsync(new SiteSnapshotRow(SiteUpdate.RealTimeKind, table, key, reader.GetInt64(2),
                        reader.GetFieldValue<DateTimeOffset>(3), data.RootElement.Clone()), ct);
                }
            }
        }
        await transaction.CommitAsync(ct);
        await chunks.FinishAsync(ct);
        logger.LogInformation(
            "Served snapshot {SnapshotId} at site sequence {Sequence}, epoch {Epoch}, to {Workstation}: {Rows} rows in {Chunks} chunks, {ElapsedMs} ms (bindings {Bindings})",
            request.SnapshotId, siteSequence, state.Epoch, request.Workstation, chunks.TotalRows, chunks.Chunks, started.ElapsedMilliseconds, bindings);
    }
}
