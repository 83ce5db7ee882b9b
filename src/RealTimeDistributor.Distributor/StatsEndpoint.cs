using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// GET /stats: the replica's applied and site sequences, the site lease, the resyncs kept in the replica, each broker link
/// (central, site: up, or lost since when and why), this process's counters and each real-time table's age. The replica is read through the database retry pipeline
/// (<see cref="Resilience"/>), for at most <see cref="ReplicaWait"/>; when it does not answer by then, the answer is
/// still 200, with this process's counters, the replica's fields null and <c>replicaError</c> saying why (a degraded
/// answer, never a 500).
/// </summary>
internal static class StatsEndpoint
{
    public static readonly TimeSpan ReplicaWait = TimeSpan.FromSeconds(3);

    public static void MapDistributorStats(this WebApplication app, DistributorSettings settings)
    {
        var pipeline = Resilience.DatabasePipeline(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StatsEndpoint)), "GET /stats");
        app.MapGet("/stats", async (DistributorStats stats, SnapshotSender snapshots, SiteSnapshotServer snapshotServer, SiteLease lease, Site.SiteLinks links, IServiceScopeFactory scopes, TimeProvider clock, CancellationToken ct) =>
        {
            SyncState? state = null;
            List<RealTimeTableState> tables = [];
            int? resyncs = null;
            ResyncLogEntry? lastResync = null;
            string? replicaError = null;
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
            wait.CancelAfter(ReplicaWait);
            try
            {
                await pipeline.ExecuteAsync(async token =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
                    state = await db.SyncState.AsNoTracking().SingleAsync(s => s.Site == settings.Site, token);
                    // kept in the replica: they survive a restart and are the same whichever instance answers
                    resyncs = await db.ResyncLog.AsNoTracking().CountAsync(r => !r.InitialLoad, token);
                    lastResync = await db.ResyncLog.AsNoTracking().Where(r => !r.InitialLoad).OrderByDescending(r => r.Id).FirstOrDefaultAsync(token);
                    // real-time age per table: time since the replica last applied a batch of it (realtime_table_state)
                    tables = await db.RealTimeTables.AsNoTracking().OrderBy(t => t.TableName).ToListAsync(token);
                }, wait.Token);
            }
            catch (Exception exception) when (!ct.IsCancellationRequested)
            {
                replicaError = exception is OperationCanceledException ? $"the replica did not answer within {ReplicaWait}" : exception.Message;
            }
            var now = clock.GetUtcNow();
            return Results.Ok(new
            {
                site = settings.Site,
                instance = settings.Instance,
                appliedConfigSequence = state?.AppliedConfigSequence,
                siteSequence = state?.SiteSequence,
                replicaError,
                stats.ConfigApplied,
                stats.ConfigDuplicates,
                stats.RealTimeRowsApplied,
                stats.RealTimeRowsStale,
                stats.RealTimeRowsUnchanged,
                stats.RealTimeHeartbeats,
                stats.SitePublished,
                stats.RealTimeBatchesHandedBack,
                pipeline = stats.Pipeline,
                snapshotRequestsRefused = snapshots.RequestsRefused,
                // site snapshots answered, and the reads of the replica they took (requests waiting together share one)
                snapshotRequestsServed = snapshotServer.Served,
                snapshotReplicaReads = snapshotServer.Reads,
                // the site lease: who holds it, under which epoch, and whether this process is the one
                active = lease.Current is not null,
                epoch = state?.Epoch,
                streamId = state?.StreamId,
                leaseHolder = state?.Holder,
                leaseExpiresAt = state?.LeaseExpiresAt,
                leaseTakeovers = lease.Takeovers,
                leaseFenced = lease.Fenced,
                resyncs,
                lastResyncReason = lastResync?.Reason,
                lastResyncAt = lastResync?.At,
                links = new[] { links.Center, links.Site }.Select(l => new
                {
                    name = l.Name,
                    endpoint = l.Endpoint,
                    up = l.LostSince is null,
                    lostSince = l.LostSince,
                    reason = l.Reason,
                    lastReached = l.LastReached,
                }),
                realTimeTables = tables.Select(t => new
                {
                    table = t.TableName,
                    t.LastUpdateAt,
                    t.LastFullRefreshAt,
                    ageSeconds = Math.Round((now - t.LastUpdateAt).TotalSeconds, 1),
                }),
            });
        });
    }
}
