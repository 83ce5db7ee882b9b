using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client;

/// <summary>Feeds the client's view from its own queue on the site exchanges.</summary>
public sealed class SiteUpdateConsumer(ClientView view, ClientSettings settings, ILogger<SiteUpdateConsumer> logger) : IConsumer<SiteUpdate>
{
    public Task Consume(ConsumeContext<SiteUpdate> context)
    {
        var update = context.Message;
        if (update.Site != settings.Site)
        {
            logger.LogWarning("Dropped an update for site {OtherSite}; this workstation belongs to {Site}", update.Site, settings.Site);
            return Task.CompletedTask;
        }
        if (!view.Apply(update, out var gap))
        {
            return Task.CompletedTask;
        }
        if (gap)
        {
            logger.LogWarning("Site sequence gap before {Sequence}: some updates were missed", update.SiteSequence);
        }
        if (update.Kind == SiteUpdate.ConfigKind)
        {
            logger.LogInformation("Config {Table} {Key} {Operation} (central {CentralSequence}, site {Sequence})",
                update.Table, update.Key, update.Config?.Operation, update.Config?.Sequence, update.SiteSequence);
        }
        else
        {
            logger.LogDebug("Real-time {Table} {Key} = {Value} (site {Sequence})", update.Table, update.Key, update.Row?.Data.GetRawText(), update.SiteSequence);
        }
        return Task.CompletedTask;
    }
}
