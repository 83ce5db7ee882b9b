namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// Tells the site's workstations whether their distributor reaches the center (site autonomy during a WAN outage): when
/// the center link (<see cref="SiteLinks.Center"/>) is lost, a status message with "center unreachable since ..." goes on
/// the site stream at once and every <see cref="RepeatWhileLost"/> after that (so a workstation that starts during the
/// outage learns it too); when the link is back, one message saying so. Nothing is sent while the link was never lost.
/// </summary>
internal sealed class SiteStatusPublisher(SiteLinks links, SiteStream stream, ILogger<SiteStatusPublisher> logger) : BackgroundService
{
    public static readonly TimeSpan RepeatWhileLost = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var changed = new SemaphoreSlim(0);
        void OnChanged(Hosting.BrokerLink link)
        {
            if (link.LostSince is { } since)
            {
                logger.LogWarning("Center unreachable since {Since} ({Endpoint}): {Reason}; the site serves its replica", since, link.Endpoint, link.Reason);
            }
            else
            {
                logger.LogInformation("Center reached again ({Endpoint}); the site catches up from its central queues", link.Endpoint);
            }
            changed.Release();
        }
        links.Center.Changed += OnChanged;
        try
        {
            DateTimeOffset? told = null;
            while (!stoppingToken.IsCancellationRequested)
            {
                var since = links.Center.LostSince;
                if (since is not null || told is not null)
                {
                    try
                    {
                        await stream.PublishStatusAsync(since, stoppingToken);
                        told = since;
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        logger.LogDebug(exception, "The site status message was not published; trying again");
                    }
                }
                await changed.WaitAsync(RepeatWhileLost, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            links.Center.Changed -= OnChanged;
        }
    }
}
