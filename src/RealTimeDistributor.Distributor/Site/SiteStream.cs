using System.Diagnostics;
using Npgsql;
using Polly;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// The site's outgoing stream. Apply-and-commit runs under one lock and the publish that follows under another, taken
/// hand over hand: a batch takes its publish turn before it lets the next batch apply, so site sequences reach the site
/// exchanges in the order they were handed out while the next batch's database work overlaps this batch's publish and
/// confirms (a pipeline two batches deep). The site messages are written (serialized) in the publish turn, after the
/// apply lock is released: the lock holds the database work, the site sequences and the links only. Publishing happens
/// only after the replica commit;
/// database work runs in the retry/circuit-breaker pipeline of <see cref="Resilience"/>, and the publish is retried until
/// the broker takes it; if the process dies in between, the message is redelivered: a configuration change is republished
/// under its original site sequence, real-time rows the replica holds at their version are not (the next lease holder's
/// reset makes every client reload; docs/architecture.md, "Only changes on the site stream").
/// Real-time rows travel many to a message (one table each, see <see cref="RealTime.RealTimeApplier.ToSiteUpdates"/>),
/// configuration changes one to a message. Each message is linked to the previous one of its table and (configuration) of its row (<see cref="SiteUpdate.PreviousSiteSequence"/>,
/// <see cref="SiteUpdate.PreviousKeySequence"/>) so that a client bound to some tables or keys only can still tell a lost
/// message from one it does not receive.
/// </summary>
public sealed class SiteStream(DistributorSettings settings, SiteLinks links, DistributorStats stats, NpgsqlDataSource dataSource,
    SiteLease lease, Config.ConfigTraces traces, TimeProvider clock, ILogger<SiteStream> logger) : IAsyncDisposable
{
    private readonly SemaphoreSlim _apply = new(1, 1);
    private readonly SemaphoreSlim _publish = new(1, 1);
    private readonly ResiliencePipeline _database = Resilience.DatabasePipeline(logger, "The site replica", dataSource);
    private readonly ResiliencePipeline _broker = Resilience.BrokerPipeline(logger, "The site stream");
    private readonly SiteChain _chain = new();
    private long? _startSequence;
    private long _handedOut; // the last site sequence this process saw committed, under _apply
    private readonly ConfirmingPublisher _publisher = new(links.SiteBroker, Topology.Site.VirtualHost(settings.Site),
        $"rtd {settings.Site} distributor {settings.Instance} site stream", Topology.Site.Exchanges(settings.Site), logger);

    /// <summary>Applies, commits and publishes; completes once the broker has confirmed every message.</summary>
    public async Task ApplyThenPublishAsync(ISiteCommit commit, CancellationToken cancellationToken) =>
        await await ApplyAsync(commit, cancellationToken);

    /// <summary>
    /// Applies and commits, and takes this batch's publish turn; completes then, with the publish still running. The task it
    /// returns completes once the broker has confirmed every message of the batch (or fails if the stream stops first):
    /// only then may the messages that brought the batch be acked. The site lease is checked here, once per batch: the
    /// apply gets the grant to fence its commit with, and a commit the replica refuses under it
    /// (<see cref="EpochRefusedException"/>) is told to the lease here.
    /// </summary>
    public async Task<Task> ApplyAsync(ISiteCommit commit, CancellationToken cancellationToken)
    {
        await _apply.WaitAsync(cancellationToken);
        try
        {
            // only the lease holder applies and publishes; the database checks the epoch again in each commit
            var holding = lease.Require();
            var started = Stopwatch.GetTimestamp();
            var committed = await WhileHeldAsync(commit, holding, cancellationToken);
            if (_startSequence is not null)
            {
                await NoticeUnpublishedAsync(committed, cancellationToken); // (links forgotten inside the apply start again from the replica)
            }
            var updates = _chain.Link(committed, _startSequence ?? 0);
            var applyMs = (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            // a traced change's site publish hop, until the site broker confirmed it (nothing while no change is traced)
            var spans = traces.IsEmpty ? [] : updates.Select(PublishSpan).ToList();
            try
            {
                // the publish turn is taken before the next batch may apply: the wire sees site sequences in order
                var waiting = Stopwatch.GetTimestamp();
                await _publish.WaitAsync(cancellationToken);
                stats.SiteBatchApplied(Stopwatch.GetElapsedTime(started, waiting), Stopwatch.GetElapsedTime(waiting));
                return spans.Count == 0 ? PublishAsync(updates, spans, applyMs, holding.Lost, cancellationToken)
                    : EndAfterAsync(PublishAsync(updates, spans, applyMs, holding.Lost, cancellationToken), spans);
            }
            catch
            {
                spans.ForEach(s => s?.Dispose());
                throw;
            }
        }
        finally
        {
            _apply.Release();
        }
    }

    /// <summary>
    /// The database work of a batch, retried while the replica is down, read-only or restarting, for as long as this process
    /// holds the lease: such a replica refuses the lease's renewal too, so the wait ends within the lease's duration, and the
    /// batch fails as not the lease holder's (its messages go back to the queue, never to the error queue).
    /// </summary>
    private async Task<IReadOnlyList<SiteUpdate>> WhileHeldAsync(ISiteCommit commit,
        SiteLease.Holding holding, CancellationToken cancellationToken)
    {
        using var held = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, holding.Lost);
        try
        {
            if (_startSequence is null)
            {
                _startSequence = await _database.ExecuteAsync(async ct => await SiteSequenceAsync(ct), held.Token);
                _handedOut = _startSequence.Value;
            }
            return await _database.ExecuteAsync(async ct => await commit.CommitAsync(holding.Grant, ct), held.Token);
        }
        catch (EpochRefusedException)
        {
            lease.Refused(holding.Grant);
            throw;
        }
        catch (Exception exception) when (exception is OperationCanceledException or NpgsqlException && holding.Lost.IsCancellationRequested
            && !cancellationToken.IsCancellationRequested)
        {
            throw new NotLeaseHolderException($"Site {settings.Site}: the lease was lost while the replica was waited for; the batch goes back to the queue.");
        }
    }

    /// <summary>
    /// Writes the batch's messages and publishes them, holding the publish turn (released at the end). It returns at its
    /// first await, so the messages are written after the apply lock is released, while the next batch applies: their
    /// site sequences and links were fixed under the apply lock, and the publish turn keeps their order on the wire.
    /// </summary>
    /// <param name="lost">Cancelled when the lease is lost: a process that is no longer the holder stops publishing (its messages are not acked and come back to the holder).</param>
    private async Task PublishAsync(IReadOnlyList<SiteUpdate> updates, List<Activity?> spans, int applyMs, CancellationToken lost,
        CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            var started = Stopwatch.GetTimestamp();
            var messages = updates.Select((u, i) => ToMessage(u, spans.Count == 0 ? null : RtdTracing.TraceParent(spans[i]))).ToList();
            using var publishing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost);
            try
            {
                await _broker.ExecuteAsync(async ct => await PublishOnSiteBrokerAsync(messages, ct), publishing.Token);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new NotLeaseHolderException($"Site {settings.Site}: the lease was lost before the site confirmed {messages.Count} messages; they are not acked and come back to the holder.");
            }
            var published = Stopwatch.GetElapsedTime(started);
            logger.LogDebug("Site stream: {Count} updates applied in {ApplyMs} ms, published in {PublishMs} ms", messages.Count, applyMs,
                (int)published.TotalMilliseconds);
            stats.SiteBatchPublished(published);
            stats.Published(messages.Count);
        }
        finally
        {
            _publish.Release();
        }
    }

    /// <summary>One publish to the site broker, reported on its link (<see cref="SiteLinks.Site"/>).</summary>
    private async Task PublishOnSiteBrokerAsync(IReadOnlyList<OutgoingMessage> messages, CancellationToken cancellationToken)
    {
        try
        {
            await _publisher.PublishAsync(messages, cancellationToken);
            links.Site.Reached();
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // the holder's link: a standby's status message may fail while the broker restarts, and a standby sends
            // nothing more that would heal it
            if (lease.Current is not null)
            {
                links.Site.Lost(exception.GetBaseException().Message);
            }
            throw;
        }
    }

    /// <summary>
    /// Publishes a site status message (kind "status", table "center", routing key "status" on the real-time exchange,
    /// site sequence 0: in no chain) saying whether the center is reachable, confirmed; not retried (the next one follows).
    /// </summary>
    public async Task PublishStatusAsync(DateTimeOffset? centerUnreachableSince, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var status = new StatusUpdate(settings.Site, centerUnreachableSince, now);
        await PublishOnSiteBrokerAsync([new OutgoingMessage(Topology.Site.RealTimeExchange(settings.Site), Topology.Site.StatusRoutingKey,
            Json.Serialize(status), $"{settings.Site}-status-{now.UtcTicks}")], cancellationToken);
    }

    /// <summary>
    /// A commit whose answer was lost (the connection broke during COMMIT) is applied again by the database retry: its
    /// real-time rows are then at the replica's version already and are not republished, so the site sequences the first
    /// commit took never reach the site. This notices it: this batch's first site sequence (or, for a batch that took
    /// none, the replica's current one) is past the last one this process saw committed. Then every table's and row's next
    /// message, and every heartbeat, links to the skipped sequence, so each client reloads its snapshot (which holds the
    /// rows) at the next message or heartbeat of each table.
    /// </summary>
    private async Task NoticeUnpublishedAsync(IReadOnlyList<SiteUpdate> committed, CancellationToken cancellationToken)
    {
        // a republished configuration duplicate carries its original (lower) site sequence: only new ones count here
        var fresh = committed.Where(u => u.SiteSequence > _handedOut).ToList();
        var before = fresh.Count > 0 ? fresh.Min(u => u.FirstSiteSequence) - 1
            : committed.Count > 0 ? await _database.ExecuteAsync(async ct => await SiteSequenceAsync(ct), cancellationToken)
            : _handedOut;
        if (before > _handedOut)
        {
            logger.LogWarning("Site sequences {From}..{To} were committed but not published by this process (a commit whose answer was lost, applied "
                + "again); every table's next message and heartbeat links past them, so clients reload", _handedOut + 1, before);
            _chain.Clear();
            _startSequence = before;
        }
        _handedOut = Math.Max(_handedOut, fresh.Count > 0 ? fresh.Max(u => u.SiteSequence) : before);
    }

    /// <summary>
    /// After the replica was rebuilt from a snapshot (outside the stream), the next message of every table and row links
    /// to the site sequence at that moment, so clients holding an older view see a break and reload. Call under the lock
    /// (from inside an <see cref="ISiteCommit"/>).
    /// </summary>
    public void ForgetLinks()
    {
        _chain.Clear();
        _startSequence = null;
    }

    /// <summary>
    /// Announces a reset on the site stream (<see cref="SiteUpdate.ResetKind"/>): takes the next site sequence under the
    /// lease's epoch and publishes it, so every client loads a fresh snapshot now. Called when this process takes the site
    /// over; a resync announces its own (<see cref="Config.ConfigResync.LoadAsync"/>).
    /// </summary>
    public Task AnnounceResetAsync(string reason, CancellationToken cancellationToken) => ApplyThenPublishAsync(new ResetCommit(this, reason), cancellationToken);

    private sealed class ResetCommit(SiteStream stream, string reason) : ISiteCommit
    {
        public Task<IReadOnlyList<SiteUpdate>> CommitAsync(LeaseGrant grant, CancellationToken cancellationToken) =>
            stream.TakeResetSequenceAsync(reason, grant, cancellationToken);
    }

    private async Task<IReadOnlyList<SiteUpdate>> TakeResetSequenceAsync(string reason, LeaseGrant grant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"UPDATE sync_state SET site_sequence = site_sequence + 1 WHERE {SiteLease.FenceSql} RETURNING site_sequence");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = grant.Epoch });
        if (await command.ExecuteScalarAsync(cancellationToken) is not long sequence)
        {
            throw new EpochRefusedException(settings.Site, grant);
        }
        ForgetLinks();
        logger.LogInformation("Announced a reset at site sequence {Sequence}, epoch {Epoch}: {Reason}", sequence, grant.Epoch, reason);
        return [Reset(settings.Site, sequence, grant, clock.GetUtcNow())];
    }

    /// <summary>A reset message: every client whose view is older than <paramref name="siteSequence"/> reloads.</summary>
    public static ResetUpdate Reset(string site, long siteSequence, LeaseGrant grant, DateTimeOffset now) =>
        new(site, siteSequence, now) { Epoch = grant.Epoch, StreamId = grant.StreamId };

    private async Task<long> SiteSequenceAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT site_sequence FROM sync_state WHERE site = @site");
        command.Parameters.AddWithValue("site", settings.Site);
        return await command.ExecuteScalarAsync(cancellationToken) is long sequence ? sequence : 0;
    }

    private Activity? PublishSpan(SiteUpdate update) =>
        update is ConfigUpdate change && traces.Of(change.Config.Sequence) is { } parent
            ? RtdTracing.Source.StartActivity(RtdTracing.Hops.SitePublish, ActivityKind.Producer, parent)?.SetTag(RtdTracing.SequenceTag, change.Config.Sequence)
            : null;

    private static async Task EndAfterAsync(Task publish, List<Activity?> spans)
    {
        try
        {
            await publish;
        }
        finally
        {
            spans.ForEach(s => s?.Dispose());
        }
    }

    private OutgoingMessage ToMessage(SiteUpdate update, string? traceParent) => new(
        update is HeartbeatUpdate ? Topology.Site.RealTimeExchange(settings.Site) : Topology.Site.ExchangeFor(settings.Site, update.Kind),
        update switch
        {
            ResetUpdate => Topology.Site.ResetRoutingKey,
            ConfigUpdate change => Topology.Site.RoutingKey(change.Table, change.Key),
            _ => Topology.Site.RealTimeRoutingKey(update.Table),
        },
        Json.Serialize(update),
        update is HeartbeatUpdate ? $"{settings.Site}-heartbeat-{update.Table}-{update.PublishedAt.UtcTicks}" : $"{settings.Site}-{update.SiteSequence}",
        traceParent);

    public async ValueTask DisposeAsync()
    {
        await _publisher.DisposeAsync();
        _apply.Dispose();
        _publish.Dispose();
    }
}
