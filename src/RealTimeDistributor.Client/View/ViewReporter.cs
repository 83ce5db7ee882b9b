namespace RealTimeDistributor.Client.View;

/// <summary>Prints a one-line summary of the live view every few seconds, so the console shows what the client holds.</summary>
public sealed class ViewReporter(ClientView view, ILogger<ViewReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var rows = view.Rows();
            var tables = rows.GroupBy(r => $"{r.Kind}:{r.Table}").Select(g => $"{g.Key}={g.Count()}");
            logger.LogInformation("View at site sequence {Sequence}: {Tables}; {ConfigChanges} config changes and {RealTimeRows} real-time rows received",
                view.LastSiteSequence, string.Join(" ", tables), view.ConfigChanges, view.RealTimeRows);
        }
    }
}
