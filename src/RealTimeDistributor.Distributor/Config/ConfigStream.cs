using Microsoft.EntityFrameworkCore;
using Polly;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// updateaw's apply loop. The consumer hands every change here and waits; the loop applies the consecutive run that starts
/// at the next sequence in one transaction (how a backlog drains fast), republishes it, and completes those waits, which
/// acks the messages. The next run applies while this one's publish is confirmed (<see cref="SiteStream.ApplyAsync"/>);
/// a run's changes are in flight until then, out of the waiting ones. Changes can reach it slightly out of order (the
/// consumer takes several at once); one whose predecessor has not come within <see cref="ReorderWindow"/> marks a gap: the
/// replica is rebuilt from a central snapshot and the loop continues after its watermark, unless the change is beyond the
/// center's last committed sequence (asked of the center, cached, asked again only when a change claims more) and was
/// waiting before the question: such a change was never committed, will never be preceded, and is refused alone (error
/// queue, with the reason; no resync). One that came while the question was out may have been committed since the center
/// read its sequence: it is never refused on that answer.
/// On first start with an empty replica it loads that snapshot first.
/// The ordering decisions are <see cref="ConfigOrdering{T}"/>'s (tested alone); the changes held, their completions and the
/// apply-then-publish of a run are <see cref="ConfigPipeline"/>'s; this class decides what to apply next and when to resync.
/// </summary>
public sealed class ConfigStream(IServiceScopeFactory scopes, ConfigPipeline pipeline, SiteLease lease, DistributorSettings settings,
    IHostApplicationLifetime lifetime, ILogger<ConfigStream> logger) : BackgroundService
{
    public static readonly TimeSpan ReorderWindow = TimeSpan.FromSeconds(2);
    public const int MaxRun = 1_000;

    /// <summary>How long one snapshot request waits for the center before it is asked again.</summary>
    public static readonly TimeSpan SnapshotTimeout = TimeSpan.FromSeconds(15);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _resyncRequested;
    private long _centerCommitted;
    private readonly ResiliencePipeline _database = Resilience.DatabasePipeline(logger, "The configuration apply loop");

    /// <summary>Completes once the change is committed to the replica (or known to be there) and republished to the site.</summary>
    public Task SubmitAsync(ConfigChanged change, CancellationToken cancellationToken)
    {
        ConfigChangeRules.Validate(change);
        return pipeline.SubmitAsync(change, cancellationToken);
    }

    /// <summary>How many changes have come to the loop (a redelivered copy of one that waits is not counted).</summary>
    public long Arrived => pipeline.Arrived;

    /// <summary>The last change the loop applied (or found applied) while holding the lease; null before it first held it.</summary>
    public long? AppliedSequence => pipeline.Applied;

    /// <summary>
    /// A seam for tests: awaited once the center has said how far it has committed (the argument) and before that answer
    /// is weighed, so a test can commit and deliver a change while the question is out, as happens when the center commits
    /// after reading its sequence. Null (nothing) in a running site.
    /// </summary>
    public Func<long, CancellationToken, Task>? CenterAnswered { get; set; }

    /// <summary>
    /// Completes when the replica has its first-start snapshot (or needed none) and the loop follows the stream, or, for an
    /// instance that found the site lease held by another, when it stands by.
    /// </summary>
    public Task Ready => _ready.Task;

    /// <summary>A change could not apply: rebuild from a snapshot rather than go on without it.</summary>
    public void RequestResync(string reason)
    {
        _resyncRequested = reason;
        pipeline.Wake();
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
        await lease.Decided.WaitAsync(stoppingToken);
        if (lease.Current is null)
        {
            _ready.TrySetResult(); // a standby: the holder loads and applies; this loop waits for the lease
        }
        SiteLease.Holding? holding = null;
        var heldBefore = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // a standby waits here: only the lease holder applies
                var now = await lease.WaitAsync(stoppingToken);
                if (now != holding)
                {
                    holding = null;
                    await TakeOverAsync(heldBefore, stoppingToken);
                    holding = now;
                    heldBefore = true;
                }
                if (!await StepAsync(stoppingToken))
                {
                    await pipeline.WaitAsync(ReorderWindow / 4, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (NotLeaseHolderException notHolder)
            {
                logger.LogWarning("The configuration apply loop stands by: {Reason}", notHolder.Message);
            }
            catch (Exception exception)
            {
                logger.LogError(exception, "The configuration apply loop failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
        pipeline.Stop(stoppingToken);
    }

    /// <summary>Does one unit of work; false when there was nothing to do.</summary>
    private async Task<bool> StepAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _resyncRequested, null) is { } reason)
        {
            await ResyncAsync(reason, initialLoad: false, cancellationToken);
            return true;
        }
        var (run, waiting) = pipeline.TakeRun();
        if (run.Count > 0)
        {
            if (await pipeline.ApplyAsync(run, cancellationToken) is { } poison)
            {
                // the change that does not fit failed; the rest waits and, being after a hole now, brings a resync
                RequestResync($"change {poison.Sequence} cannot apply: {poison.Message}");
            }
            return true;
        }
        if (!waiting)
        {
            return false;
        }
        // the next change has not come: maybe another instance applied it (A/B), maybe it is late, maybe it is lost
        var applied = await AppliedAsync(cancellationToken);
        var (canRun, gap) = pipeline.AppliedNow(applied);
        if (canRun)
        {
            return true;
        }
        if (gap is not { } first)
        {
            return false;
        }
        if (await RefuseBeyondCenterAsync(first.Sequence, cancellationToken))
        {
            return true;
        }
        await ResyncAsync($"a gap: applied through {applied}, next received {first.Sequence}", initialLoad: false, cancellationToken);
        return true;
    }

    /// <summary>
    /// When <paramref name="sequence"/> (the first change after a gap) is beyond what the center is known to have
    /// committed, asks the center again; fails every change beyond its answer that was waiting before the question, as
    /// poison that brings no resync. A change that came while the question was out is not judged by the answer (the center
    /// may have committed it since it read its sequence, <see cref="ConfigOrdering{T}.TakeNeverCommitted"/>): it stays, and
    /// should it still stand after a gap, it is beyond the answer cached here, so the center is asked again.
    /// True when one was refused (the gap may be gone with it).
    /// </summary>
    private async Task<bool> RefuseBeyondCenterAsync(long sequence, CancellationToken cancellationToken)
    {
        if (sequence <= Interlocked.Read(ref _centerCommitted))
        {
            return false;
        }
        var asked = pipeline.Arrived;
        long committed;
        await using (var scope = scopes.CreateAsyncScope())
        {
            committed = await scope.ServiceProvider.GetRequiredService<ConfigResync>()
                .CenterCommittedAsync($"change {sequence} after a gap", SnapshotTimeout, cancellationToken);
        }
        if (CenterAnswered is { } answered)
        {
            await answered(committed, cancellationToken);
        }
        Interlocked.Exchange(ref _centerCommitted, committed);
        var (refused, inDoubt) = pipeline.RefuseNeverCommitted(committed, asked);
        if (inDoubt)
        {
            logger.LogInformation("Changes beyond the center's last committed sequence, {Sequence}, came while it was asked: they wait (the center is asked again should they stay after a gap)",
                committed);
        }
        return refused > 0 || inDoubt;
    }

    /// <summary>
    /// This process has just taken the site's lease: after a lease it lost (<paramref name="again"/>), the changes it held
    /// are dropped (their deliveries went back to the queue with the channel that brought them); clients are told to
    /// reload (a reset), and an empty replica loads its first-start snapshot. Only the lease holder gets here, so two instances starting together on an empty
    /// replica load it once; and a load never moves the applied sequence backwards (<see cref="ConfigResync.LoadAsync"/>).
    /// </summary>
    private async Task TakeOverAsync(bool again, CancellationToken cancellationToken)
    {
        if (again)
        {
            pipeline.DropWaiting();
        }
        await pipeline.AnnounceResetAsync("this instance took the site over", cancellationToken);
        var applied = await AppliedAsync(cancellationToken);
        pipeline.SetApplied(applied);
        if (applied == 0)
        {
            await ResyncAsync("the replica is empty (first start)", initialLoad: true, cancellationToken);
        }
        _ready.TrySetResult();
    }

    private async Task ResyncAsync(string reason, bool initialLoad, CancellationToken cancellationToken)
    {
        await using (var scope = scopes.CreateAsyncScope())
        {
            var resync = scope.ServiceProvider.GetRequiredService<ConfigResync>();
            var snapshot = await resync.FetchAsync(reason, initialLoad, SnapshotTimeout, cancellationToken);
            await pipeline.LoadAsync(resync, snapshot, reason, initialLoad, cancellationToken);
        }
        // everything up to the watermark is in the replica now: those waits are done
        pipeline.Loaded(await AppliedAsync(cancellationToken));
    }

    /// <summary>The replica's applied sequence, read through the database retry pipeline (a dead pooled connection is retried).</summary>
    private async Task<long> AppliedAsync(CancellationToken cancellationToken) =>
        await _database.ExecuteAsync(async ct =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
            return await db.SyncState.AsNoTracking().Where(s => s.Site == settings.Site).Select(s => s.AppliedConfigSequence).SingleAsync(ct);
        }, cancellationToken);
}
