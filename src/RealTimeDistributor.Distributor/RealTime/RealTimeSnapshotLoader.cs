using MassTransit;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// A distributor whose replica holds no real-time row (a new site, a recreated replica) asks the central controller for a
/// real-time snapshot once at start, instead of leaving its clients without live data until the next full refresh. Every
/// chunk goes to <see cref="RealTimeIntake"/> as a real-time batch would (bulk upsert, republished to the site), so the
/// version guard settles any race with the stream. No answer within <see cref="IdleTimeout"/> (the center is
/// down) is only a warning: the next full refresh fills the table.
/// </summary>
public sealed class RealTimeSnapshotLoader(IBus bus, RealTimeIntake intake, NpgsqlDataSource dataSource, DistributorSettings settings,
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
            var batches = snapshot.Chunks.Where(c => c.Rows.Count > 0).Select(c => new RealTimeRowsPublished(c.Table, FullRefresh: false, c.TakenAt, c.Rows)).ToList();
            // all at once: the intake applies what is waiting together, up to its row bound per transaction
            await Task.WhenAll(batches.Select(b => intake.SubmitAsync(b, stoppingToken)));
            var rows = batches.Sum(b => b.Rows.Count);
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
