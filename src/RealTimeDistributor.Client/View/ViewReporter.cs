using System.Diagnostics.Metrics;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// Prints a one-line summary of the live view every few seconds, so the console shows what the client holds, and exports
/// the view's figures at /metrics: rtd.client.last_site_sequence, rtd.client.snapshot_sequence, rtd.client.gaps,
/// rtd.client.snapshots, rtd.client.duplicates, rtd.client.realtime_age (seconds since the newest central real-time update or heartbeat)
/// and rtd.client.realtime_stale (per real-time table: 1 while the wallboard shows it stale, older than Client:StaleAfter).
/// </summary>
internal sealed class ViewReporter : BackgroundService
{
    private readonly ClientView _view;
    private readonly ILogger<ViewReporter> _logger;
    private readonly System.Diagnostics.TagList _tags;

    public ViewReporter(ClientView view, ClientSettings settings, ILogger<ViewReporter> logger, RtdMetrics metrics, TimeProvider clock)
    {
        _view = view;
        _logger = logger;
        var tags = _tags = metrics.Tags;
        metrics.Meter.CreateObservableGauge("rtd.client.last_site_sequence", () => new Measurement<long>(view.LastSiteSequence, tags),
            "{message}", "the last site sequence the view applied");
        metrics.Meter.CreateObservableGauge("rtd.client.snapshot_sequence", () => new Measurement<long>(view.SnapshotSequence, tags),
            "{message}", "the site sequence of the snapshot the view loaded last");
        metrics.Meter.CreateObservableCounter("rtd.client.gaps", () => new Measurement<long>(view.Gaps, tags), "{gap}",
            "lost messages noticed (each one reloads a snapshot)");
        metrics.Meter.CreateObservableCounter("rtd.client.snapshots", () => new Measurement<long>(view.Snapshots, tags), "{snapshot}",
            "snapshots loaded");
        metrics.Meter.CreateObservableCounter("rtd.client.duplicates", () => new Measurement<long>(view.Duplicates, tags), "{message}",
            "updates dropped as already in the view");
        metrics.Meter.CreateObservableGauge("rtd.client.realtime_age", () => RealTimeAge(clock), "s",
            "seconds since the newest central real-time update the view holds, or the last heartbeat of its table");
        metrics.Meter.CreateObservableGauge("rtd.client.realtime_stale", () => Stale(clock, settings.StaleAfter), "{table}",
            "1 for a real-time table the view shows stale (older than Client:StaleAfter, as the wallboard does), else 0");
    }

    private IEnumerable<Measurement<long>> Stale(TimeProvider clock, TimeSpan staleAfter) =>
        _view.Tables(clock.GetUtcNow(), staleAfter).Where(t => t.Kind == SiteUpdate.RealTimeKind)
            .Select(t =>
            {
                var tags = _tags;
                tags.Add("table", t.Table);
                return new Measurement<long>(t.Stale ? 1 : 0, tags);
            });

    private IEnumerable<Measurement<double>> RealTimeAge(TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var realTime = _view.Tables(now, TimeSpan.MaxValue).Where(t => t.Kind == SiteUpdate.RealTimeKind).ToList();
        return realTime.Count == 0 ? [] : [new Measurement<double>(realTime.Min(t => t.Age).TotalSeconds, _tags)];
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var rows = _view.Rows();
            var tables = rows.GroupBy(r => $"{r.Kind}:{r.Table}").Select(g => $"{g.Key}={g.Count()}");
            _logger.LogInformation("View at site sequence {Sequence}: {Tables}; {ConfigChanges} config changes and {RealTimeRows} real-time rows received",
                _view.LastSiteSequence, string.Join(" ", tables), _view.ConfigChanges, _view.RealTimeRows);
        }
    }
}
