using Npgsql;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>The site lease as this process holds it: the epoch its commits are fenced with and the replica's stream id.</summary>
public sealed record LeaseGrant(long Epoch, Guid StreamId);

/// <summary>This process does not hold the site lease (or the database refused its epoch): it must neither commit nor publish.</summary>
public sealed class NotLeaseHolderException(string message) : HandBackException(message);

/// <summary>
/// One active distributor instance per site, for the configuration stream, the real-time stream and the site stream
/// together: a lease in the replica's <c>sync_state</c> row (holder, epoch, lease_expires_at, on the database's clock). Every
/// <see cref="RenewEvery"/> this service takes or renews it with one conditional UPDATE: the holder renews; anyone takes it
/// when it is free or expired, and a takeover adds one to the epoch. Every commit that moves the site sequence checks the
/// epoch in the same transaction (<see cref="FenceSql"/>), so a process that lost the lease without knowing it (paused,
/// cut off) has its commits refused by the database. The consumers attach only while the lease is held
/// (<see cref="WaitAsync"/>) and detach when it is lost. A graceful stop gives the lease up, so a standby takes over at its
/// next attempt; after a kill -9 it takes over once the lease has expired (<see cref="DistributorSettings.LeaseDuration"/>).
/// </summary>
public sealed class SiteLease(NpgsqlDataSource dataSource, DistributorSettings settings, TimeProvider clock, PreviousHolderFence fence, ILogger<SiteLease> logger)
    : BackgroundService
{
    /// <summary>The condition a commit adds to its <c>sync_state</c> statement: the row is only found under the current epoch.</summary>
    public const string FenceSql = "site = $1 AND epoch = $2";

    private const string AcquireSql = """
        UPDATE sync_state s
        SET epoch = CASE WHEN s.holder = $2 THEN s.epoch ELSE s.epoch + 1 END, holder = $2, lease_expires_at = clock_timestamp() + $3
        FROM (SELECT holder FROM sync_state WHERE site = $1 FOR UPDATE) previous
        WHERE s.site = $1 AND (s.holder = $2 OR s.holder IS NULL OR s.lease_expires_at IS NULL OR s.lease_expires_at < clock_timestamp())
        RETURNING s.epoch, s.stream_id, previous.holder
        """;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _decided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<Holding> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Holding? _current;
    private CancellationTokenSource? _lost;
    private long _takeovers;
    private long _fenced;

    /// <summary>Raised when this instance loses the lease and stands by (after the holding's token is cancelled).</summary>
    public event Action? StoodDown;

    /// <summary>The lease held, and a token cancelled when it is lost.</summary>
    public sealed record Holding(LeaseGrant Grant, CancellationToken Lost);

    /// <summary>This process's name in the lease: the instance and an id of this start, so a restarted instance is a new holder.</summary>
    public string Holder { get; } = $"{settings.Instance}-{Guid.NewGuid():N}";

    public TimeSpan RenewEvery => settings.LeaseDuration / 3;

    /// <summary>The lease if this process holds it now, else null.</summary>
    public LeaseGrant? Current => Holds?.Grant;

    /// <summary>The lease if this process holds it now, with the token cancelled when it is lost; else null.</summary>
    public Holding? Holds
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>How often this process took the lease over (each with a new epoch).</summary>
    public long Takeovers => Interlocked.Read(ref _takeovers);

    /// <summary>Commits the database refused because another process holds a newer epoch.</summary>
    public long Fenced => Interlocked.Read(ref _fenced);

    /// <summary>The lease this process holds now; throws <see cref="NotLeaseHolderException"/> if it holds none.</summary>
    public LeaseGrant Require() => Current ?? throw new NotLeaseHolderException($"Instance {settings.Instance} does not hold the lease of site {settings.Site}.");

    /// <summary>Completes once the first attempt at the lease has an answer: this process holds it, or another does.</summary>
    public Task Decided => _decided.Task;

    /// <summary>Completes when this process holds the lease (at once if it does).</summary>
    public Task<Holding> WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _held.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The database refused a commit under <paramref name="grant"/>: another process took the site over.</summary>
    public void Refused(LeaseGrant grant)
    {
        Interlocked.Increment(ref _fenced);
        Lose(grant, "the database refused a commit under this epoch (another instance took the site over)");
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var renewedAt = (DateTimeOffset?)null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var attempt = clock.GetUtcNow();
            try
            {
                var (grant, previousHolder) = await AcquireAsync(stoppingToken);
                if (grant is null)
                {
                    Lose(Current, "another instance holds the lease");
                }
                else
                {
                    renewedAt = attempt;
                    Hold(grant);
                    if (previousHolder is not null && previousHolder != Holder)
                    {
                        // taken from another instance: if it is frozen, it still holds the site's queues
                        await fence.CloseConnectionsOfAsync(previousHolder, stoppingToken);
                    }
                }
                _decided.TrySetResult();
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The site lease could not be renewed: {Problem}", exception.Message);
                if (Resilience.NeedsNewConnections(exception))
                {
                    dataSource.Clear(); // a read-only or ended session would refuse the next attempt too
                }
                // counted from the start of the last renewal that worked: by then the lease may be another's
                if (renewedAt is { } last && clock.GetUtcNow() - last >= settings.LeaseDuration)
                {
                    Lose(Current, "the lease could not be renewed in time");
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

    /// <summary>Gives the lease up on a graceful stop (after the consumers, registered after this service, have stopped).</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Lose(Current, "the host stops");
        try
        {
            await using var command = dataSource.CreateCommand("UPDATE sync_state SET lease_expires_at = NULL WHERE site = $1 AND holder = $2");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Holder });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException)
        {
            logger.LogWarning("The site lease could not be given up; a standby takes over when it expires: {Problem}", exception.Message);
        }
    }

    /// <summary>The grant (null: another instance holds the lease) and the holder before this attempt.</summary>
    private async Task<(LeaseGrant? Grant, string? PreviousHolder)> AcquireAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AcquireSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Holder });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = settings.LeaseDuration });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (new LeaseGrant(reader.GetInt64(0), reader.GetGuid(1)), reader.IsDBNull(2) ? null : reader.GetString(2))
            : (null, null);
    }

    private void Hold(LeaseGrant grant)
    {
        CancellationTokenSource? previous;
        lock (_gate)
        {
            if (_current?.Grant == grant)
            {
                return;
            }
            previous = LoseLocked(_current?.Grant, "the lease was taken again under a new epoch");
            var lost = new CancellationTokenSource();
            _current = new Holding(grant, lost.Token);
            _lost = lost;
            _held.TrySetResult(_current);
        }
        previous?.Cancel();
        Interlocked.Increment(ref _takeovers);
        logger.LogWarning("Took over site {Site} as {Holder} at epoch {Epoch} (stream {StreamId})", settings.Site, Holder, grant.Epoch, grant.StreamId);
    }

    private void Lose(LeaseGrant? grant, string reason)
    {
        CancellationTokenSource? lost;
        lock (_gate)
        {
            lost = LoseLocked(grant, reason);
        }
        // outside the gate: what waits on the token (the consumers detaching) may call back into the lease
        lost?.Cancel();
        if (lost is not null)
        {
            StoodDown?.Invoke();
        }
    }

    /// <summary>Forgets the lease if <paramref name="grant"/> is the one held; returns the source to cancel (outside the gate).</summary>
    private CancellationTokenSource? LoseLocked(LeaseGrant? grant, string reason)
    {
        if (grant is null || _current?.Grant != grant)
        {
            return null;
        }
        logger.LogWarning("Lost the lease of site {Site} at epoch {Epoch}: {Reason}; standing by", settings.Site, grant.Epoch, reason);
        _current = null;
        _held = new TaskCompletionSource<Holding>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lost = _lost;
        _lost = null;
        return lost;
    }
}
