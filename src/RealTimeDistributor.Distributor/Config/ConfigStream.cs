using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// updateaw's apply loop. The consumer hands every change here and waits; the loop applies the consecutive run that starts
/// at the next sequence in one transaction (how a backlog drains fast), republishes it, and completes those waits, which
/// acks the messages. The next run applies while this one's publish is confirmed (<see cref="SiteStream.ApplyAsync"/>);
/// a run's changes are in flight until then, out of the waiting ones. Changes can reach it slightly out of order (the
/// consumer takes several at once); one whose predecessor has not come within <see cref="ReorderWindow"/> marks a gap: the
/// replica is rebuilt from a central snapshot and the loop continues after its watermark. On first start with an empty replica it loads that snapshot first.
/// </summary>
public sealed class ConfigStream(IServiceScopeFactory scopes, SiteStream site, DistributorSettings settings, TimeProvider clock,
    IHostApplicationLifetime lifetime, ILogger<ConfigStream> logger) : BackgroundService
{
    public static readonly TimeSpan ReorderWindow = TimeSpan.FromSeconds(2);
    public const int MaxRun = 1_000;

    /// <summary>How long one snapshot request waits for the center before it is asked again.</summary>
    public static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private readonly SortedDictionary<long, Pending> _pending = [];
    private readonly Dictionary<long, Pending> _inFlight = [];
    private readonly Channel<bool> _arrived = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _applied = -1;
    private string? _resyncRequested;

    private sealed record Pending(ConfigChanged Change, TaskCompletionSource Done, DateTimeOffset Since);

    /// <summary>Completes once the change is committed to the replica (or known to be there) and republished to the site.</summary>
    public Task SubmitAsync(ConfigChanged change, CancellationToken cancellationToken)
    {
        ConfigApplier.Validate(change);
        Pending pending;
        lock (_gate)
        {
            if (!_pending.TryGetValue(change.Sequence, out pending!) && !_inFlight.TryGetValue(change.Sequence, out pending!))
            {
                pending = new Pending(change, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), clock.GetUtcNow());
                _pending[change.Sequence] = pending;
            }
        }
        _arrived.Writer.TryWrite(true);
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Completes when the replica has its first-start snapshot (or needed none) and the loop follows the stream.</summary>
    public Task Ready => _ready.Task;

    /// <summary>A change could not apply: rebuild from a snapshot rather than go on without it.</summary>
    public void RequestResync(string reason)
    {
        _resyncRequested = reason;
        _arrived.Writer.TryWrite(true);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // this service starts before the bus (see DistributorHost), and a snapshot request sent before the bus endpoint is
        // up would get its answer lost: wait until every service has started
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        await InitialLoadAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await StepAsync(stoppingToken))
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    wait.CancelAfter(ReorderWindow / 4);
                    try
                    {
                        await _arrived.Reader.ReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "The configuration apply loop failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        lock (_gate)
        {
            foreach (var pending in _pending.Values.Concat(_inFlight.Values))
            {
                pending.Done.TrySetCanceled(stoppingToken);
            }
            _pending.Clear();
            _inFlight.Clear();
        }
    }

    /// <summary>Does one unit of work; false when there was nothing to do.</summary>
    private async Task<bool> StepAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _resyncRequested, null) is { } reason)
        {
            await ResyncAsync(reason, initialLoad: false, cancellationToken);
            return true;
        }
        List<Pending> run;
        Pending? waiting;
        lock (_gate)
        {
            run = TakeRun();
            waiting = run.Count == 0 ? FirstWaiting() : null;
        }
        if (run.Count > 0)
        {
            await ApplyAsync(run, cancellationToken);
            return true;
        }
        if (waiting is null)
        {
            return false;
        }
        // the next change has not come: maybe another instance applied it (A/B), maybe it is late, maybe it is lost
        _applied = await AppliedAsync(cancellationToken);
        lock (_gate)
        {
            if (TakeRunWouldStart())
            {
                return true;
            }
        }
        if (clock.GetUtcNow() - waiting.Since < ReorderWindow)
        {
            return false;
        }
        await ResyncAsync($"a gap: applied through {_applied}, next received {waiting.Change.Sequence}", initialLoad: false, cancellationToken);
        return true;
    }

    private Pending? FirstWaiting() => _pending.Values.FirstOrDefault();

    private bool TakeRunWouldStart() => FirstWaiting() is { } first && first.Change.Sequence <= _applied + 1;

    /// <summary>Moves the consecutive run that starts at the next sequence from waiting to in flight; call under the gate.</summary>
    private List<Pending> TakeRun()
    {
        var run = new List<Pending>();
        var expected = _applied + 1;
        foreach (var (sequence, pending) in _pending)
        {
            if (run.Count == MaxRun || sequence > expected)
            {
                break;
            }
            run.Add(pending);
            expected = Math.Max(expected, sequence + 1);
        }
        foreach (var pending in run)
        {
            _pending.Remove(pending.Change.Sequence);
            _inFlight[pending.Change.Sequence] = pending;
        }
        return run;
    }

    /// <summary>Puts changes of a run that did not get through back among the waiting ones.</summary>
    private void Release(IEnumerable<Pending> run)
    {
        lock (_gate)
        {
            foreach (var pending in run)
            {
                _inFlight.Remove(pending.Change.Sequence);
                _pending[pending.Change.Sequence] = pending;
            }
        }
    }

    /// <summary>Returns once the run is committed; its waits complete when the site has confirmed its messages.</summary>
    private async Task ApplyAsync(List<Pending> run, CancellationToken cancellationToken)
    {
        Task published;
        try
        {
            published = await site.ApplyAsync(async ct =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var result = await scope.ServiceProvider.GetRequiredService<ConfigApplier>().ApplyRunAsync([.. run.Select(p => p.Change)], ct);
                _applied = result.Applied;
                return result.Updates;
            }, cancellationToken);
        }
        catch (PoisonMessageException poison)
        {
            // the change that does not fit fails (its message goes to the error queue with the reason); the rest waits
            // and, being after a hole now, brings a resync
            Release(run);
            Complete(p => p.Change.Sequence == poison.Sequence, poison);
            RequestResync($"change {poison.Sequence} cannot apply: {poison.Message}");
            return;
        }
        catch
        {
            Release(run);
            throw;
        }
        var through = _applied;
        Release(run.Where(p => p.Change.Sequence > through));
        _ = CompleteWhenPublishedAsync(published, [.. run.Where(p => p.Change.Sequence <= through)]);
    }

    private async Task CompleteWhenPublishedAsync(Task published, List<Pending> run)
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
            foreach (var pending in run)
            {
                _inFlight.Remove(pending.Change.Sequence);
            }
            // inside the lock: a redelivered copy arriving now joins this wait instead of starting a new one
            Finish(run, error);
        }
    }

    /// <summary>Ends the waits of the waiting (not in flight) changes that <paramref name="done"/> selects.</summary>
    private void Complete(Func<Pending, bool> done, Exception? error)
    {
        lock (_gate)
        {
            List<Pending> completed = [.. _pending.Values.Where(done)];
            foreach (var pending in completed)
            {
                _pending.Remove(pending.Change.Sequence);
            }
            Finish(completed, error);
        }
    }

    /// <summary>Ends the waits (their continuations run asynchronously, so this is safe under the gate).</summary>
    private static void Finish(List<Pending> done, Exception? error)
    {
        foreach (var pending in done)
        {
            if (error is null)
            {
                pending.Done.TrySetResult();
            }
            else
            {
                pending.Done.TrySetException(error);
            }
        }
    }

    private async Task InitialLoadAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                _applied = await AppliedAsync(cancellationToken);
                if (_applied == 0)
                {
                    await ResyncAsync("the replica is empty (first start)", initialLoad: true, cancellationToken);
                }
                _ready.TrySetResult();
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogError(exception, "The initial configuration snapshot could not be loaded; retrying");
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            }
        }
    }

    private async Task ResyncAsync(string reason, bool initialLoad, CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var resync = scope.ServiceProvider.GetRequiredService<ConfigResync>();
            var snapshot = await resync.FetchAsync(reason, initialLoad, SnapshotTimeout, cancellationToken);
            await site.ApplyThenPublishAsync(async ct =>
            {
                var updates = await resync.LoadAsync(snapshot, reason, initialLoad, ct);
                site.ForgetLinks();
                return updates;
            }, cancellationToken);
        }
        _applied = await AppliedAsync(cancellationToken);
        // everything up to the watermark is in the replica now: those waits are done (the site clients reload anyway)
        Complete(p => p.Change.Sequence <= _applied, null);
    }

    private async Task<long> AppliedAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
        return await db.SyncState.AsNoTracking().Where(s => s.Site == settings.Site).Select(s => s.AppliedConfigSequence).SingleAsync(cancellationToken);
    }
}
