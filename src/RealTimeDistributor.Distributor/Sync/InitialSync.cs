using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;

namespace RealTimeDistributor.Distributor.Sync;

/// <summary>
/// On first start with an empty replica (nothing applied yet), loads the configuration snapshot before following the
/// change stream. Runs under the site stream's lock, so a change consumed meanwhile waits and then applies after it.
/// </summary>
public sealed class InitialSync(IServiceScopeFactory scopes, SiteStream site, DistributorSettings settings, ILogger<InitialSync> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await site.ApplyThenPublishAsync(async ct =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
                var state = await db.SyncState.AsNoTracking().SingleAsync(s => s.Site == settings.Site, ct);
                if (state.AppliedConfigSequence > 0)
                {
                    return [];
                }
                return await scope.ServiceProvider.GetRequiredService<ConfigResync>().ResyncAsync("the replica is empty (first start)", ct, initialLoad: true);
            }, stoppingToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // the first change that arrives finds the gap and resyncs then
            logger.LogError(exception, "The initial configuration snapshot could not be loaded");
        }
    }
}
