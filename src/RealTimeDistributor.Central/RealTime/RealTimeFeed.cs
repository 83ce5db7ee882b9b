using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Central.Persistence;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// Drives the statistics engine. Every <c>RealTime:Interval</c> it reads the activity since the last interval, applies
/// it, and publishes the rows that changed, per table, through <see cref="RealTimePublisher"/> (bounded messages);
/// every <c>RealTime:FullRefreshEvery</c> intervals it publishes every row instead. The configuration is reread from
/// the central database after this process commits a configuration change (<see cref="ChangeLogSignal.Version"/> moved; at most
/// once a second), and in any case
/// every <c>RealTime:ConfigurationRefresh</c>.
/// It runs only on the active center (<see cref="CentralLease"/>). A new term (an epoch this process has not run) starts
/// from the statistics checkpoint (<see cref="StatisticsCheckpoints"/>), asks every gateway to resync and publishes every
/// row; during the term it writes the checkpoint every <c>Central:Checkpoint:Interval</c>. Each interval publishes only
/// while the lease is valid, under its epoch.
/// </summary>
public sealed class RealTimeFeed(IServiceScopeFactory scopes, IActivitySource source, StatisticsEngine engine, RealTimePublisher publisher,
    ChangeLogSignal changes, RealTimeOptions options, Gateways.ActivityOptions activity, CentralLease lease, StatisticsCheckpoints checkpoints,
    TimeProvider clock, ILogger<RealTimeFeed> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumReload = TimeSpan.FromSeconds(1);
    private DateTimeOffset? _configuredAt;
    private long _configuredThrough = -1;
    private CentralTerm? _term;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (activity.Source == Gateways.ActivityOptions.Off)
        {
            logger.LogInformation("Real-time feed is off (RealTime:Source is off, or RealTime:Simulate is false)");
            return;
        }
        var tick = 0L;
        while (!stoppingToken.IsCancellationRequested)
        {
            _term = await lease.WaitAsync(stoppingToken);
            using var during = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, _term.Lost);
            try
            {
                await checkpoints.TakeOverAsync(_term, during.Token);
                using var timer = new PeriodicTimer(options.Interval, clock);
                var fullRefresh = true; // the first interval of a term publishes every row
                while (await timer.WaitForNextTickAsync(during.Token))
                {
                    tick++;
                    try
                    {
                        await TickAsync(fullRefresh || tick % options.FullRefreshEvery == 0, during.Token);
                        fullRefresh = false;
                        await checkpoints.SaveWhenDueAsync(_term, during.Token);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        logger.LogWarning(exception, "Real-time interval {Tick} was not published", tick);
                    }
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The statistics feed stops publishing: this center no longer holds the central lease (epoch {Epoch})", _term.Epoch);
            }
        }
    }

    /// <summary>One interval: refresh the configuration when due, apply the activity, publish what changed (or everything).</summary>
    public async Task TickAsync(bool fullRefresh, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var committed = changes.Version;
        var age = now - (_configuredAt ?? DateTimeOffset.MinValue);
        if (age >= options.ConfigurationRefresh || (committed != _configuredThrough && age >= MinimumReload))
        {
            await using var scope = scopes.CreateAsyncScope();
            var configuration = await StatisticsConfigurationLoader.LoadAsync(scope.ServiceProvider.GetRequiredService<CentralDbContext>(), cancellationToken);
            source.Configure(configuration, now);
            engine.Configure(configuration, now);
            (_configuredAt, _configuredThrough) = (now, committed);
            logger.LogDebug("Statistics configuration loaded: {Agents} agents, {SkillGroups} skill groups, {CallTypes} call types, {Services} services",
                configuration.Agents.Count, configuration.SkillGroups.Count, configuration.CallTypes.Count, configuration.Services.Count);
        }
        foreach (var activity in await source.ReadAsync(now, cancellationToken))
        {
            engine.Apply(activity);
        }
        var rows = 0;
        foreach (var table in engine.Collect(now, fullRefresh))
        {
            if (_term is not { } term || !lease.Valid(term))
            {
                throw new OperationCanceledException("The central lease is no longer valid: nothing more is published.");
            }
            await publisher.PublishAsync(table.Table, table.Rows, fullRefresh, term.Epoch, cancellationToken);
            rows += table.Rows.Count;
        }
        logger.LogDebug("Published {Rows} real-time rows (full refresh {FullRefresh})", rows, fullRefresh);
    }
}
