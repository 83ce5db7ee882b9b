using System.Diagnostics;
using MassTransit;
using RealTimeDistributor.Client.Snapshots;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.Stream;

/// <summary>
/// Feeds the client's view from its own queue on the site exchanges; a gap asks the loader for a fresh snapshot. A
/// message that breaks <see cref="SiteUpdateRules"/> is refused, counted and logged; one too far ahead of the view
/// (Client:MaxSequenceJump) too, and the view reloads a snapshot in case the site really is that far; one of an epoch
/// implausibly far ahead (Client:MaxEpochAhead) is refused, counted and logged, without a reload. A site status
/// message (<see cref="StatusUpdate"/>, outside the site sequence) sets whether the center is reachable (<see cref="ClientView.CenterUnreachableSince"/>).
/// A message that is none of the site message shapes does not parse (<see cref="SiteUpdateJson"/>) and ends in the
/// queue's error queue with its reason.
/// </summary>
public sealed class SiteUpdateConsumer(ClientView view, SnapshotLoader loader, ClientSettings settings, ILogger<SiteUpdateConsumer> logger)
    : IConsumer<SiteUpdate>
{
    /// <summary>
    /// The workstation's own queue on the site exchanges (<see cref="Topology.Site.ClientQueueBindings"/>,
    /// <see cref="Topology.Site.ClientQueueArguments"/>: its length bound and lifetime) and this consumer on it, one message
    /// at a time so the site sequence arrives in order. A temporary client's queue (and the exchange MassTransit puts in
    /// front of it) is exclusive and auto-delete: it goes with the client's connection.
    /// </summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator bus, IRegistrationContext context, ClientSettings settings) =>
        bus.ReceiveEndpoint(Topology.Site.ClientQueue(settings.Site, settings.Workstation), e =>
        {
            if (settings.Temporary)
            {
                e.Exclusive = true;
                e.AutoDelete = true;
                e.Durable = false;
            }
            e.UseTopologyQueue(Topology.Site.ClientQueueArguments(settings.QueueMaxLength));
            e.PrefetchCount = 500;
            e.ConcurrentMessageLimit = 1;
            e.BindWithoutDeclaring(context, Topology.Site.ClientQueue(settings.Site, settings.Workstation),
                Topology.Site.ClientQueueBindings(settings.Site, settings.Bindings), Topology.Site.VirtualHost(settings.Site));
            e.ConfigureConsumer<SiteUpdateConsumer>(context);
        });

    public Task Consume(ConsumeContext<SiteUpdate> context)
    {
        var update = context.Message;
        if (SiteUpdateRules.Problem(update, settings.Site) is { } problem)
        {
            view.Refuse();
            logger.LogWarning("Refused a site message {Kind} {Table} at site sequence {Sequence} from {MessageSource}: {Reason}",
                update.Kind, update.Table, update.SiteSequence, context.SourceAddress, problem);
            return Task.CompletedTask;
        }
        if (update is StatusUpdate status && status.CenterUnreachableSince != view.CenterUnreachableSince)
        {
            logger.LogWarning(status.CenterUnreachableSince is { } since
                ? "The site's distributor reports the center unreachable since {Since}; the view holds the site's data"
                : "The site's distributor reaches the center again{Since}", (object?)status.CenterUnreachableSince ?? "");
        }
        // a traced edit's last hop: into this view (RtdTracing)
        using var span = update is ConfigUpdate traced
            ? RtdTracing.StartHop(RtdTracing.Hops.ClientView, ActivityKind.Consumer, context.Headers.Get<string>(RtdTracing.Header), traced.Config.Sequence)
            : null;
        var outcome = view.Apply(update);
        if (outcome == ApplyOutcome.TooFarAhead)
        {
            logger.LogWarning(
                "Refused a site message {Kind} {Table} at site sequence {Sequence}: more than {MaxJump} above the view's {LastSequence}; loading a fresh snapshot",
                update.Kind, update.Table, update.SiteSequence, settings.MaxSequenceJump, view.LastSiteSequence);
            loader.RequestReload();
        }
        if (outcome == ApplyOutcome.EpochTooFarAhead)
        {
            logger.LogWarning(
                "Refused a site message {Kind} {Table} at site sequence {Sequence}: its epoch {Epoch} is more than {MaxEpochAhead} ahead of this clock (an epoch is a replica's creation time in ms plus its takeovers); the view stays at epoch {ViewEpoch}",
                update.Kind, update.Table, update.SiteSequence, update.Epoch, settings.MaxEpochAhead, view.Epoch);
        }
        if (outcome == ApplyOutcome.Reset)
        {
            logger.LogWarning("The site stream was reset ({Kind} at site sequence {Sequence}, epoch {Epoch}, stream {StreamId}; the view is at epoch {ViewEpoch}): loading a fresh snapshot",
                update.Kind, update.SiteSequence, update.Epoch, update.StreamId, view.Epoch);
            loader.RequestReload();
        }
        if (outcome == ApplyOutcome.StaleEpoch)
        {
            logger.LogInformation("Ignored {Kind} {Table} at site sequence {Sequence} of epoch {Epoch}: the view is at epoch {ViewEpoch} ({StaleEpochs} ignored so far)",
                update.Kind, update.Table, update.SiteSequence, update.Epoch, view.Epoch, view.StaleEpochs);
        }
        if (outcome == ApplyOutcome.Gap && update is HeartbeatUpdate heartbeat)
        {
            logger.LogWarning("Heartbeat of {Table}: its chain is at site sequence {ChainHead}, beyond what the view holds of it: loading a fresh snapshot",
                heartbeat.Table, heartbeat.ChainHead);
            loader.RequestReload();
        }
        else if (outcome == ApplyOutcome.Gap)
        {
            logger.LogWarning("Gap in {Kind} {Table} before site sequence {Sequence} (after {PreviousSequence}): loading a fresh snapshot",
                update.Kind, update.Table, update.SiteSequence, update.PreviousSiteSequence);
            loader.RequestReload();
        }
        if (outcome != ApplyOutcome.Applied)
        {
            return Task.CompletedTask;
        }
        switch (update)
        {
            case ConfigUpdate change:
                logger.LogInformation("Config {Table} {Key} {Operation} (central {CentralSequence}, site {Sequence})",
                    change.Table, change.Key, change.Config.Operation, change.Config.Sequence, change.SiteSequence);
                break;
            case RealTimeUpdate rows:
                logger.LogDebug("Real-time {Table}: {Rows} rows (site {FirstSequence}..{Sequence})", rows.Table, rows.Rows.Count,
                    rows.FirstSiteSequence, rows.SiteSequence);
                break;
        }
        return Task.CompletedTask;
    }
}
