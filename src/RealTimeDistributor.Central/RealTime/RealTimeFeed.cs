using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Persistence;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// Drives the statistics engine. Every <c>RealTime:Interval</c> it reads the activity since the last interval, applies
/// it, and publishes the rows that changed, per table, through <see cref="RealTimePublisher"/> (bounded messages);
/// every <c>RealTime:FullRefreshEvery</c> intervals it publishes every row instead. The configuration is reread from
/// the central database after this process commits a configuration change (<see cref="ChangeLogSignal.Version"/> moved; at most
/// once a second), and in any case
/// every <c>RealTime:ConfigurationRefresh</c>.
/// </summary>
public sealed class RealTimeFeed(IServiceScopeFactory scopes, IActivitySource source, StatisticsEngine engine, RealTimePublisher publisher,
    ChangeLogSignal changes, RealTimeOptions options, Gateways.ActivityOptions activity, TimeProvider clock, ILogger<RealTimeFeed> logger) : BackgroundService
{
    private static readonly TimeSpan MinimumReload = TimeSpan.FromSeconds(1);
    private DateTimeOffset? _configuredAt;
    private long _configuredThrough = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (activity.Source == Gateways.ActivityOptions.Off)
        {
            logger.LogInformation("Real-time feed is off (RealTime:Source is off, or RealTime:Simulate is false)");
            return;
        }
        using var timer = new PeriodicTimer(options.Interval, clock);
        var tick = 0L;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            tick++;
            try
            {
                await TickAsync(tick % options.FullRefreshEvery == 0, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Real-time interval {Tick} was not published", tick);
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
            await publisher.PublishAsync(table.Table, table.Rows, fullRefresh, cancellationToken);
            rows += table.Rows.Count;
        }
        logger.LogDebug("Published {Rows} real-time rows (full refresh {FullRefresh})", rows, fullRefresh);
    }
}
