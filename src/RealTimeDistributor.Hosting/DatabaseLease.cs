using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The core the central lease (among center instances) and each site lease (among a site's distributor instances)
/// share: every third of <paramref name="duration"/> one conditional UPDATE of the lease's row, on the database's clock,
/// takes or renews it (<see cref="AcquireAsync"/>: each lease's own table, SQL and fencing, with <see cref="Holder"/> as
/// its holder id). A renewal that fails counts the lease lost once <paramref name="duration"/> has passed on this
/// process's monotonic clock since the start of the last renewal that worked (a process that was paused knows it on
/// waking, before any round trip). What waits for the lease (<see cref="WaitAsync"/>) gets a holding whose token is
/// cancelled when it is lost. A graceful stop gives the lease up (<see cref="GiveUpAsync"/>), so a standby takes over at
/// its next attempt.
/// </summary>
/// <param name="name">What the log calls it: "central lease", "site lease".</param>
public abstract class DatabaseLease<TGrant, THolding>(NpgsqlDataSource database, string holder, string name, TimeSpan duration, TimeProvider clock,
    ILogger logger) : BackgroundService
    where TGrant : class
    where THolding : class
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<THolding> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private THolding? _current;
    private CancellationTokenSource? _lost;
    private long _renewedAt; // clock timestamp of the start of the last renewal that worked

    /// <summary>Raised when this process loses the lease and stands by (after the holding's token is cancelled).</summary>
    public event Action? StoodDown;

    /// <summary>This process's name in the lease: unique to this start, so a restarted instance is a new holder.</summary>
    public string Holder { get; } = holder;

    public TimeSpan RenewEvery => duration / 3;

    /// <summary>The lease if this process holds it now, with the token cancelled when it is lost; else null.</summary>
    public THolding? Holds
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>Completes once the first attempt at the lease has an answer: this process holds it, or another does.</summary>
    public Task Decided => _decided.Task;

    protected NpgsqlDataSource Database => database;

    /// <summary>Completes when this process holds the lease (at once if it does).</summary>
    public Task<THolding> WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _held.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>True while <paramref name="holding"/> is held and its last renewal is younger than the lease.</summary>
    protected bool Fresh(THolding holding)
    {
        lock (_gate)
        {
            return _current == holding && clock.GetElapsedTime(_renewedAt) < duration;
        }
    }

    /// <summary>One conditional UPDATE of the lease's row: the grant (null: another holds the lease) and the holder before it, if the statement says.</summary>
    protected abstract Task<(TGrant? Grant, string? PreviousHolder)> AcquireAsync(CancellationToken cancellationToken);

    /// <summary>Sets the lease's expiry to none if this process holds it.</summary>
    protected abstract Task GiveUpAsync(CancellationToken cancellationToken);

    protected abstract THolding NewHolding(TGrant grant, CancellationToken lost);

    protected abstract TGrant GrantOf(THolding holding);

    /// <summary>Under the gate: <paramref name="previous"/> gave way to another grant of this process.</summary>
    protected abstract void LogReplaced(TGrant previous, TGrant grant);

    /// <summary>Under the gate: the lease is lost.</summary>
    protected abstract void LogLost(TGrant grant, string reason);

    /// <summary>After the gate: this process holds a new grant.</summary>
    protected abstract void Took(TGrant grant);

    /// <summary>Taken from another holder (the one before this attempt): such as closing its connections, should it be frozen.</summary>
    protected virtual Task TakenFromAsync(string previousHolder, CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var attempt = clock.GetTimestamp();
            try
            {
                var (grant, previousHolder) = await AcquireAsync(stoppingToken);
                if (grant is null)
                {
                    Lose(Holds, "another instance holds the lease");
                }
                else
                {
                    Hold(grant, attempt);
                    if (previousHolder is not null && previousHolder != Holder)
                    {
                        await TakenFromAsync(previousHolder, stoppingToken);
                    }
                }
                _decided.TrySetResult();
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The {Lease} could not be renewed: {Problem}", name, exception.Message);
                if (Resilience.NeedsNewConnections(exception))
                {
                    database.Clear(); // a read-only or ended session would refuse the next attempt too
                }
                if (Holds is { } holding && !Fresh(holding))
                {
                    Lose(holding, "the lease could not be renewed in time");
                }
            }
            try
            {
                await Task.Delay(RenewEvery, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Gives the lease up on a graceful stop (after the services registered after this one have stopped).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Lose(Holds, "the host stops");
        try
        {
            await GiveUpAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException)
        {
            logger.LogWarning("The {Lease} could not be given up; a standby takes over when it expires: {Problem}", name, exception.Message);
        }
    }

    private void Hold(TGrant grant, long attempt)
    {
        CancellationTokenSource? previous = null;
        lock (_gate)
        {
            _renewedAt = attempt;
            if (_current is { } current && GrantOf(current).Equals(grant))
            {
                return;
            }
            if (_current is { } replaced)
            {
                LogReplaced(GrantOf(replaced), grant);
                previous = _lost;
                _held = new TaskCompletionSource<THolding>(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            var lost = new CancellationTokenSource();
            _current = NewHolding(grant, lost.Token);
            _lost = lost;
            _held.TrySetResult(_current);
        }
        previous?.Cancel();
        Took(grant);
    }

    /// <summary>Forgets the lease if <paramref name="holding"/> is the one held, and tells what waits on it.</summary>
    protected void Lose(THolding? holding, string reason)
    {
        CancellationTokenSource? lost;
        lock (_gate)
        {
            if (holding is null || _current != holding)
            {
                return;
            }
            LogLost(GrantOf(holding), reason);
            _current = null;
            _held = new TaskCompletionSource<THolding>(TaskCreationOptions.RunContinuationsAsynchronously);
            lost = _lost;
            _lost = null;
        }
        // outside the gate: what waits on the token (the consumers detaching) may call back into the lease
        lost?.Cancel();
        if (lost is not null)
        {
            StoodDown?.Invoke();
        }
    }
}
