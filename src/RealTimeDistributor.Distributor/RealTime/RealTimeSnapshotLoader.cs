using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// A distributor whose replica holds no real-time row (a new site, a recreated replica) asks the central controller for a
/// real-time snapshot once at start, instead of leaving its clients without live data until the next full refresh. Every
/// chunk goes to <see cref="RealTimeIntake"/> as a real-time batch would (bulk upsert, republished to the site), so the
/// version guard settles any race with the stream. No answer within <see cref="IdleTimeout"/> (the center is
/// down) is only a warning: the next full refresh fills the table.
/// </summary>
public sealed class RealTimeSnapshotLoader(RabbitMqSettings broker, RealTimeIntake intake, NpgsqlDataSource dataSource, DistributorSettings settings,
    SiteLease lease, ILogger<RealTimeSnapshotLoader> logger) : BackgroundService
{
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(15);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // only the holder of the site lease applies: a standby loads nothing (the holder has, or will)
            await lease.WaitAsync(stoppingToken);
            var any = await Resilience.DatabasePipeline(logger, "The real-time snapshot loader", dataSource).ExecuteAsync(async ct =>
            {
                await using var count = dataSource.CreateCommand("SELECT EXISTS (SELECT 1 FROM realtime_row)");
                return await count.ExecuteScalarAsync(ct) is true;
            }, stoppingToken);
            if (any)
            {
                return;
            }
            var snapshot = await RequestAsync(broker, settings.Site, settings.Instance, [], IdleTimeout, logger, stoppingToken);
            var batches = snapshot.Chunks.SelectMany(c => c.Rows.GroupBy(r => r.Table)
                .Select(t => new RealTimeRowsPublished(t.Key, FullRefresh: false, c.TakenAt, [.. t.Select(r => r.Row)]))).ToList();
            // all at once: the intake applies what is waiting together, up to its row bound per transaction
            await Task.WhenAll(batches.Select(b => intake.SubmitAsync(b, stoppingToken)));
            logger.LogInformation("Loaded the central real-time snapshot of the interval at {IntervalAt} (ticks): {Rows} rows in {Chunks} chunks",
                snapshot.Watermark, snapshot.TotalRows, snapshot.Chunks.Count);
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

    /// <summary>
    /// One real-time snapshot from the central controller, of <paramref name="tables"/> (empty: all), as a distributor
    /// instance (or a test) asks for it. Its watermark is the engine interval the rows are consistent with, in UTC ticks.
    /// </summary>
    public static Task<Snapshot<RealTimeSnapshotRow>> RequestAsync(RabbitMqSettings broker, string site, string requester, IReadOnlyList<string> tables,
        TimeSpan idleTimeout, ILogger logger, CancellationToken cancellationToken)
    {
        var (snapshotId, replyTo) = (Guid.NewGuid(), Topology.Central.SnapshotReplyQueue(site, $"{requester}-realtime"));
        return SnapshotRequester.RequestAsync<RealTimeSnapshotRequested, RealTimeSnapshotRow>(broker,
            Topology.Central.RealTimeSnapshotRequests(broker.CentralVirtualHost), $"rtd {site} distributor {requester} real-time snapshot", replyTo,
            snapshotId, new RealTimeSnapshotRequested(site, snapshotId, replyTo, tables, DateTimeOffset.UtcNow), idleTimeout, logger, cancellationToken);
    }
}
