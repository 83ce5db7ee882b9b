using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;

namespace RealTimeDistributor.Distributor;

/// <summary>GET /stats: the replica's applied and site sequences, this process's counters and each real-time table's age.</summary>
public static class StatsEndpoint
{
    public static void MapDistributorStats(this WebApplication app, DistributorSettings settings)
    {
        app.MapGet("/stats", async (DistributorStats stats, SiteLease lease, ReplicaDbContext db, TimeProvider clock, CancellationToken ct) =>
        {
            var state = await db.SyncState.AsNoTracking().SingleAsync(s => s.Site == settings.Site, ct);
            // kept in the replica: they survive a restart and are the same whichever instance answers
            var resyncs = await db.ResyncLog.AsNoTracking().CountAsync(r => !r.InitialLoad, ct);
            var lastResync = await db.ResyncLog.AsNoTracking().Where(r => !r.InitialLoad).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
            // real-time age per table: time since the replica last applied a batch of it (realtime_table_state)
            var tables = await db.RealTimeTables.AsNoTracking().OrderBy(t => t.TableName).ToListAsync(ct);
            var now = clock.GetUtcNow();
            return Results.Ok(new
            {
                site = settings.Site,
                instance = settings.Instance,
                state.AppliedConfigSequence,
                state.SiteSequence,
                stats.ConfigApplied,
                stats.ConfigDuplicates,
                stats.RealTimeRowsApplied,
                stats.RealTimeRowsStale,
                stats.SitePublished,
                stats.RealTimeBatchesDroppedStandby,
                // the site lease: who holds it, under which epoch, and whether this process is the one
                active = lease.Current is not null,
                state.Epoch,
                state.StreamId,
                leaseHolder = state.Holder,
                state.LeaseExpiresAt,
                leaseTakeovers = lease.Takeovers,
                leaseFenced = lease.Fenced,
                resyncs,
                lastResyncReason = lastResync?.Reason,
                lastResyncAt = lastResync?.At,
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
