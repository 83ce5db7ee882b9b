using MassTransit;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Consumers;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Snapshots;

/// <summary>
/// A distributor whose replica holds no real-time row (a new site, a recreated replica) asks the central controller for a
/// real-time snapshot once at start, instead of leaving its clients without live data until the next full refresh. Each
/// chunk is applied and republished like a real-time batch (<see cref="RealTimeApplier"/> through <see cref="SiteStream"/>),
/// so the version guard settles any race with the stream. No answer within <see cref="IdleTimeout"/> (the center is
/// down) is only a warning: the next full refresh fills the table.
/// </summary>
public sealed class RealTimeSnapshotLoader(IBus bus, IServiceScopeFactory scopes, SiteStream site, NpgsqlDataSource dataSource, DistributorSettings settings,
    ILogger<RealTimeSnapshotLoader> logger) : BackgroundService
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await using (var count = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM realtime_row)"))
            {
                if (await count.ExecuteScalarAsync(stoppingToken) is true)
                {
                    return;
                }
            }
            var snapshot = await new RealTimeSnapshotClient(bus).RequestAsync(settings.Site, [], IdleTimeout, stoppingToken);
            var rows = 0;
            foreach (var chunk in snapshot.Chunks.Where(c => c.Rows.Count > 0))
            {
                var batch = new RealTimeRowsPublished(chunk.Table, FullRefresh: false, chunk.TakenAt, chunk.Rows);
                await site.ApplyThenPublishAsync(async ct =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    return await scope.ServiceProvider.GetRequiredService<RealTimeApplier>().ApplyAsync(batch, ct);
                }, stoppingToken);
                rows += chunk.Rows.Count;
            }
            logger.LogInformation("Loaded the central real-time snapshot of the interval at {IntervalAt}: {Rows} rows in {Chunks} chunks",
                snapshot.IntervalAt, rows, snapshot.Chunks.Count);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("The central controller did not answer a real-time snapshot request within {Timeout}; the next full refresh fills the table",
                IdleTimeout);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Could not load the central real-time snapshot; the next full refresh fills the table");
        }
    }
}
