using System.Diagnostics;
using System.Text.Json;
using RabbitMQ.Client;
using RealTimeDistributor.Client.Snapshots;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Client.Stream;

/// <summary>
/// Feeds the client's view from its own queue on the site exchanges, read with raw RabbitMQ.Client
/// (<see cref="RawQueueConsumer"/>: one delivery at a time in queue order, a prefetch of 500, multiple-acks), each delivery
/// parsed once (<see cref="SiteUpdateJson"/>) straight into the view; a gap asks the loader for a fresh snapshot. A message
/// that breaks <see cref="SiteUpdateRules"/> is refused, counted and logged; one too far ahead of the view
/// (Client:MaxSequenceJump) too, and the view reloads a snapshot in case the site really is that far; one of an epoch
/// implausibly far ahead (Client:MaxEpochAhead) is refused, counted and logged, without a reload. A site status
/// message (<see cref="StatusUpdate"/>, outside the site sequence) sets whether the center is reachable (<see cref="ClientView.CenterUnreachableSince"/>).
/// A message that is none of the site message shapes does not parse (<see cref="SiteUpdateJson"/>) and ends in the
/// queue's error queue (<c>rtd.{site}.client.{workstation}_error</c>) with its reason. After losing the broker it connects
/// again with the jittered waits of <see cref="BrokerReconnect"/> (RabbitMq:ReconnectDelay, RabbitMq:ReconnectMaxDelay).
/// The connection is the client's site link: /health's "site-broker" check.
/// </summary>
public sealed class SiteUpdateConsumer(ClientView view, SnapshotLoader loader, ClientSettings settings, RabbitMqSettings broker, BrokerLink link,
    TimeProvider clock, ILogger<SiteUpdateConsumer> logger) : BackgroundService
{
    /// <summary>Deliveries held unacknowledged at once.</summary>
    public const ushort Prefetch = 500;

    /// <summary>How long the host's start waits for the client's queue to be declared and bound the first time.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The client's site link, "site-broker" (/health): the stream consumer's connection.</summary>
    public static BrokerLink Link(RabbitMqSettings broker, ClientSettings settings, TimeProvider clock) =>
        new("site-broker", broker.Endpoint(Topology.Site.VirtualHost(settings.Site)), clock);

    /// <summary>
    /// The host's start waits until the client's queue is declared and bound (at most <see cref="StartTimeout"/>), as it
    /// did for MassTransit's receive endpoint: a started client receives everything published after it.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        try
        {
            await _bound.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException(
                $"The client's queue {Topology.Site.ClientQueue(settings.Site, settings.Workstation)} was not declared and bound within {StartTimeout.TotalSeconds:0} s: {link.Reason ?? "no answer"}");
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var queue = new RawQueue(Topology.Site.VirtualHost(settings.Site), Topology.Site.ClientQueue(settings.Site, settings.Workstation),
            $"rtd {settings.Site} client {settings.Workstation}", Prefetch, DeclareAsync)
        {
            Link = link,
            Reconnect = broker.Reconnect,
        };
        return new RawQueueConsumer(broker, queue, clock, logger).RunAsync(HandleAsync, stoppingToken);
    }

    /// <summary>
    /// The workstation's own queue (<see cref="Topology.Site.ClientQueueArguments"/>: its length bound and lifetime) bound
    /// to the site exchanges (<see cref="Topology.Site.ClientQueueBindings"/>; checked, not declared). A temporary client's
    /// queue is exclusive and auto-delete: it goes with the client's connection. Once it is bound the first time (a
    /// temporary one: every time), the loader asks for a snapshot: nothing published after it can be missed.
    /// </summary>
    private async Task DeclareAsync(IConnection connection, IChannel channel, CancellationToken cancellationToken)
    {
        var queue = Topology.Site.ClientQueue(settings.Site, settings.Workstation);
        var bindings = Topology.Site.ClientQueueBindings(settings.Site, settings.Bindings);
        await BrokerDefinitions.EnsureExchangesAsync(connection, bindings.Select(b => b.Source).Distinct(), cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: !settings.Temporary, exclusive: settings.Temporary, autoDelete: settings.Temporary,
            new Dictionary<string, object?>(Topology.Site.ClientQueueArguments(settings.QueueMaxLength)), cancellationToken: cancellationToken);
        foreach (var binding in bindings)
        {
            await channel.QueueBindAsync(queue, binding.Source.Name, binding.RoutingKey, cancellationToken: cancellationToken);
        }
        if (_bound.TrySetResult() || settings.Temporary)
        {
            // a temporary queue went with the lost connection, and what was published meanwhile with it
            loader.RequestReload();
        }
    }

    private Task<Refusal?> HandleAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        SiteUpdate update;
        try
        {
            update = JsonSerializer.Deserialize<SiteUpdate>(delivery.Body, Json.Options) ?? throw new JsonException("the message is empty (null)");
        }
        catch (JsonException exception)
        {
            view.Refuse();
            var reason = $"The message does not parse as a site message: {exception.Message}";
            logger.LogWarning("Refused message {MessageId} (routing key {RoutingKey}) to {ErrorQueue}: {Reason}", delivery.Properties.MessageId,
                delivery.RoutingKey, Topology.ErrorQueue(Topology.Site.ClientQueue(settings.Site, settings.Workstation)), reason);
            return Task.FromResult<Refusal?>(new Refusal(reason, typeof(JsonException).FullName!));
        }
        Consume(update, delivery);
        return Task.FromResult<Refusal?>(null);
    }

    private void Consume(SiteUpdate update, Delivery delivery)
    {
        if (SiteUpdateRules.Problem(update, settings.Site) is { } problem)
        {
            view.Refuse();
            logger.LogWarning("Refused a site message {Kind} {Table} at site sequence {Sequence} (message {MessageId}, routing key {RoutingKey}): {Reason}",
                update.Kind, update.Table, update.SiteSequence, delivery.Properties.MessageId, delivery.RoutingKey, problem);
            return;
        }
        if (update is StatusUpdate status && status.CenterUnreachableSince != view.CenterUnreachableSince)
        {
            logger.LogWarning(status.CenterUnreachableSince is { } since
                ? "The site's distributor reports the center unreachable since {Since}; the view holds the site's data"
                : "The site's distributor reaches the center again{Since}", (object?)status.CenterUnreachableSince ?? "");
        }
        // a traced edit's last hop: into this view (RtdTracing)
        using var span = update is ConfigUpdate traced
            ? RtdTracing.StartHop(RtdTracing.Hops.ClientView, ActivityKind.Consumer, RtdTracing.FromHeaders(delivery.Properties.Headers), traced.Config.Sequence)
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
            return;
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
    }
}
