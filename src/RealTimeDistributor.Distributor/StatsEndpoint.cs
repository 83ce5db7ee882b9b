using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Distributor.Persistence;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// GET /stats: the replica's applied and site sequences, this process's counters, each broker link (central, site: up, or
/// lost since when and why) and each real-time table's age.
/// </summary>
public static class StatsEndpoint
{
    public static void MapDistributorStats(this WebApplication app, DistributorSettings settings)
    {
        app.MapGet("/stats", async (DistributorStats stats, ResyncGuard resyncs, ReplicaDbContext db, Site.SiteLinks links, TimeProvider clock,
            CancellationToken ct) =>
        {
            var state = await db.SyncState.AsNoTracking().SingleAsync(s => s.Site == settings.Site, ct);
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
                resyncs = resyncs.Count,
                lastResyncReason = resyncs.LastReason,
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
