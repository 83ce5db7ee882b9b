using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using Entry = RealTimeDistributor.Distributor.Config.ConfigOrdering<RealTimeDistributor.Distributor.Config.ConfigPipeline.Pending>.Entry;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// The configuration changes this instance holds, in one place: each waits in <see cref="ConfigOrdering{T}"/> (under this
/// class's lock) with the completion its delivery waits on; a run is applied and committed (<see cref="ConfigApplier"/>),
/// then published (<see cref="SiteStream"/>), and its completions end when the site has confirmed it, which acks the
/// messages. <see cref="ConfigStream"/> decides what to apply and when (order, gaps, resyncs); this class does it.
/// </summary>
public sealed class ConfigPipeline(IServiceScopeFactory scopes, SiteStream site, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly ConfigOrdering<Pending> _ordering = new(ConfigStream.MaxRun, ConfigStream.ReorderWindow);
    private readonly WakeSignal _arrived = new();

    internal sealed record Pending(ConfigChanged Change, TaskCompletionSource Done);

    /// <summary>Completes once the change is committed to the replica (or known to be there) and republished to the site.</summary>
    public Task SubmitAsync(ConfigChanged change, CancellationToken cancellationToken)
    {
        Pending pending;
        lock (_gate)
        {
            pending = _ordering.Arrive(change.Sequence, new Pending(change, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)),
                clock.GetUtcNow());
        }
        Wake();
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>How many changes have come (a redelivered copy of one that waits is not counted).</summary>
    public long Arrived
    {
        get
        {
            lock (_gate)
            {
                return _ordering.Arrivals;
            }
        }
    }

    /// <summary>The replica has every change through this sequence; null until it is known.</summary>
    public long? Applied
    {
        get
        {
            lock (_gate)
            {
                return _ordering.Applied >= 0 ? _ordering.Applied : null;
            }
        }
    }

    /// <summary>The replica is at <paramref name="applied"/> (read from it).</summary>
    public void SetApplied(long applied)
    {
        lock (_gate)
        {
            _ordering.Applied = applied;
        }
    }

    /// <summary>Wakes <see cref="WaitAsync"/>: a change came, or there is other work.</summary>
    public void Wake() => _arrived.Wake();

    /// <summary>Returns when a change comes (or <see cref="Wake"/>), or after <paramref name="timeout"/>.</summary>
    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _arrived.WaitAsync(timeout, cancellationToken);

    /// <summary>The run that can apply now (empty: none), and whether other changes wait.</summary>
    internal (List<Entry> Run, bool Waiting) TakeRun()
    {
        lock (_gate)
        {
            return (_ordering.TakeRun(), _ordering.Waiting > 0);
        }
    }

    /// <summary>The replica is at <paramref name="applied"/>: true when a run can apply now; else the first change after a gap, if one is past the reorder window.</summary>
    internal (bool CanRun, Entry? Gap) AppliedNow(long applied)
    {
        lock (_gate)
        {
            _ordering.Applied = applied;
            return _ordering.CanRun ? (true, null) : (false, _ordering.Gap(clock.GetUtcNow()));
        }
    }

    /// <summary>The replica is at <paramref name="applied"/> after a load: every change through it is done (the site clients reload anyway).</summary>
    public void Loaded(long applied)
    {
        lock (_gate)
        {
            _ordering.Applied = applied;
            Finish(_ordering.TakeWaiting(s => s <= applied), null);
        }
    }

    /// <summary>
    /// The center has committed through <paramref name="committed"/>, as asked after <paramref name="asked"/>: fails the
    /// changes beyond it that came before the question (<see cref="ConfigOrdering{T}.TakeNeverCommitted"/>) as poison.
    /// Returns how many were refused, and whether others beyond it came while the question was out.
    /// </summary>
    public (int Refused, bool InDoubt) RefuseNeverCommitted(long committed, long asked)
    {
        List<Entry> refused;
        bool inDoubt;
        lock (_gate)
        {
            refused = _ordering.TakeNeverCommitted(committed, asked);
            inDoubt = _ordering.InDoubt(committed, asked);
        }
        foreach (var entry in refused)
        {
            entry.Item.Done.TrySetException(new PoisonMessageException(entry.Sequence,
                $"Change {entry.Sequence} is beyond the center's last committed sequence, {committed}: the center never committed it."));
        }
        return (refused.Count, inDoubt);
    }

    /// <summary>After a lease this process lost: the changes it held are dropped (their deliveries went back to the queue with the channel that brought them).</summary>
    public void DropWaiting()
    {
        lock (_gate)
        {
            foreach (var entry in _ordering.TakeWaiting(_ => true))
            {
                entry.Item.Done.TrySetCanceled(CancellationToken.None);
            }
        }
    }

    /// <summary>The loop stops: every wait, waiting or in flight, is cancelled.</summary>
    public void Stop(CancellationToken stoppingToken)
    {
        lock (_gate)
        {
            foreach (var entry in _ordering.Clear())
            {
                entry.Item.Done.TrySetCanceled(stoppingToken);
            }
        }
    }

    /// <summary>
    /// Applies and commits the run, then publishes it; returns once it is committed (the next run applies while this one's
    /// publish is confirmed: <see cref="SiteStream.ApplyAsync"/>), and its waits complete when the site has confirmed its
    /// messages. A change that does not fit the replica fails alone (its message goes to the error queue with the
    /// reason), the rest waits; the poison is returned, and brings a resync.
    /// </summary>
    internal async Task<PoisonMessageException?> ApplyAsync(List<Entry> run, CancellationToken cancellationToken)
    {
        Task published;
        var commit = new ConfigRun(scopes, [.. run.Select(e => e.Item.Change)]);
        try
        {
            published = await site.ApplyAsync(commit, cancellationToken);
        }
        catch (PoisonMessageException poison)
        {
            lock (_gate)
            {
                _ordering.Release(run);
                Finish(_ordering.TakeWaiting(s => s == poison.Sequence), poison);
            }
            return poison;
        }
        catch
        {
            lock (_gate)
            {
                _ordering.Release(run);
            }
            throw;
        }
        List<Entry> done;
        lock (_gate)
        {
            done = _ordering.Committed(run, commit.Applied);
        }
        _ = CompleteWhenPublishedAsync(published, done);
        return null;
    }

    /// <summary>Rebuilds the replica from <paramref name="snapshot"/> and publishes the reset that tells the clients; returns once the site has confirmed it.</summary>
    public Task LoadAsync(ConfigResync resync, ConfigSnapshot snapshot, string reason, bool initialLoad, CancellationToken cancellationToken) =>
        site.ApplyThenPublishAsync(new SnapshotLoad(site, resync, snapshot, reason, initialLoad), cancellationToken);

    /// <summary>A load on the site stream: <see cref="ConfigResync.LoadAsync"/>, after which every link starts again.</summary>
    private sealed class SnapshotLoad(SiteStream site, ConfigResync resync, ConfigSnapshot snapshot, string reason, bool initialLoad) : ISiteCommit
    {
        public async Task<IReadOnlyList<SiteUpdate>> CommitAsync(LeaseGrant grant, CancellationToken cancellationToken)
        {
            var updates = await resync.LoadAsync(snapshot, reason, initialLoad, grant, cancellationToken);
            site.ForgetLinks();
            return updates;
        }
    }

    /// <summary>Tells every client to reload (<see cref="SiteStream.AnnounceResetAsync"/>).</summary>
    public Task AnnounceResetAsync(string reason, CancellationToken cancellationToken) => site.AnnounceResetAsync(reason, cancellationToken);

    private async Task CompleteWhenPublishedAsync(Task published, List<Entry> run)
    {
        Exception? error = null;
        try
        {
            await published;
        }
        catch (Exception exception)
        {
            // the stream stopped before the broker confirmed: the messages are not acked and come back
            error = exception;
        }
        lock (_gate)
        {
            _ordering.Published(run);
            // inside the lock: a redelivered copy arriving now joins this wait instead of starting a new one
            Finish(run, error);
        }
    }

    /// <summary>Ends the waits (their continuations run asynchronously, so this is safe under the gate).</summary>
    private static void Finish(List<Entry> done, Exception? error)
    {
        foreach (var entry in done)
        {
            if (error is null)
            {
                entry.Item.Done.TrySetResult();
            }
            else
            {
                entry.Item.Done.TrySetException(error);
            }
        }
    }
}

/// <summary>
/// A run of configuration changes on the site stream: <see cref="ConfigApplier.ApplyRunAsync"/> in a scope of its own;
/// <see cref="Applied"/> is then the sequence the replica is at.
/// </summary>
public sealed class ConfigRun(IServiceScopeFactory scopes, IReadOnlyList<ConfigChanged> changes) : ISiteCommit
{
    public long Applied { get; private set; } = -1;

    public async Task<IReadOnlyList<SiteUpdate>> CommitAsync(LeaseGrant grant, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var result = await scope.ServiceProvider.GetRequiredService<ConfigApplier>().ApplyRunAsync(changes, grant, cancellationToken);
        Applied = result.Applied;
        return result.Updates;
    }
}
