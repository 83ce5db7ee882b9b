using System.Diagnostics;
using Npgsql;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Lease;

/// <summary>One term of this process as the active center: the epoch it publishes under and a token cancelled when the term ends.</summary>
public sealed record CentralTerm(long Epoch, CancellationToken Lost);

/// <summary>
/// One active central controller among the instances on one central database: a lease in the single row of
/// <c>central_lease</c> (holder, epoch, lease_expires_at on the database's clock), modelled on the distributors' site
/// lease. Every third of <see cref="CentralLeaseOptions.Duration"/> this service takes or renews it with one conditional
/// UPDATE: the holder renews; anyone takes it when it is free or expired, and a takeover adds one to the epoch. Only the
/// holder publishes (the relay, the statistics feed, the activity intake wait on <see cref="WaitAsync"/>), and before each
/// publish it asks <see cref="Valid"/>, which also counts the lease lost once <see cref="CentralLeaseOptions.Duration"/> has
/// passed on this process's monotonic clock since the start of its last renewal that worked (so a process that was paused
/// knows it, on waking, before any round trip). What it publishes carries its epoch (docs/wire-format.md); a distributor
/// ignores a lower epoch than the highest it has seen, which fences the moment between the check and the publish. The
/// database rows the holder writes (the relay's position, the statistics checkpoint) are fenced in their own statement
/// (<see cref="FenceSql"/>). A graceful stop gives the lease up, so a standby takes over at its next attempt.
/// </summary>
public sealed class CentralLease(string connectionString, CentralLeaseOptions options, ILogger<CentralLease> logger) : BackgroundService
{
    /// <summary>The condition a fenced write adds: the lease row is still this holder's, at this epoch (locked against a takeover until commit).</summary>
    public const string FenceSql = "EXISTS (SELECT 1 FROM central_lease WHERE id = 1 AND epoch = @epoch AND holder = @holder FOR SHARE)";

    private const string AcquireSql = """
        UPDATE central_lease
        SET epoch = CASE WHEN holder = @holder THEN epoch ELSE epoch + 1 END, holder = @holder, lease_expires_at = clock_timestamp() + @duration
        WHERE id = 1 AND (holder = @holder OR holder IS NULL OR lease_expires_at IS NULL OR lease_expires_at < clock_timestamp())
        RETURNING epoch
        """;

    private readonly NpgsqlDataSource _database = NpgsqlDataSource.Create(connectionString);
    private readonly Lock _gate = new();
    private TaskCompletionSource<CentralTerm> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CentralTerm? _current;
    private CancellationTokenSource? _lost;
    private long _validUntil; // Stopwatch timestamp
    private long _takeovers;

    /// <summary>This process's name in the lease: the machine and an id of this start, so a restarted instance is a new holder.</summary>
    public string Holder { get; } = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    /// <summary>The term this process holds now, else null.</summary>
    public CentralTerm? Current
    {
        get
        {
            lock (_gate)
            {
                return _current;
            }
        }
    }

    /// <summary>How often this process took the lease under a new epoch.</summary>
    public long Takeovers => Interlocked.Read(ref _takeovers);

    /// <summary>The epoch of the last term this process held (0: none).</summary>
    public long LastEpoch { get; private set; }

    /// <summary>Completes when this process holds the lease (at once if it does).</summary>
    public Task<CentralTerm> WaitAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _held.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>True while <paramref name="term"/> is held and its last renewal is younger than the lease: publish now or not at all.</summary>
    public bool Valid(CentralTerm term)
    {
        lock (_gate)
        {
            return _current == term && Stopwatch.GetTimestamp() < _validUntil;
        }
    }

    /// <summary>A fenced write found the lease another's: the term ended.</summary>
    public void Refused(CentralTerm term) => Lose(term, "the database refused a write under this epoch (another instance took over)");

    /// <summary>A command on the central database with the fence's parameters set for <paramref name="term"/>.</summary>
    public NpgsqlCommand Fenced(NpgsqlConnection connection, string sql, CentralTerm term)
    {
        var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("epoch", term.Epoch);
        command.Parameters.AddWithValue("holder", Holder);
        return command;
    }

    /// <summary>A connection to the central database, open.</summary>
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => _database.OpenConnectionAsync(cancellationToken);

    /// <summary>The lease holder (1) or not (0), and the takeovers this process made, as <c>rtd_central_lease_holder</c> and <c>rtd_central_takeovers_total</c>.</summary>
    public void ReportTo(RtdMetrics metrics)
    {
        metrics.Meter.CreateObservableGauge("rtd.central.lease_holder", () => new System.Diagnostics.Metrics.Measurement<int>(Current is null ? 0 : 1, metrics.Tags),
            "{holder}", "1 on the active central controller (the central lease holder), 0 on a standby");
        metrics.ObserveCounter("rtd.central.takeovers", "{takeover}", "central lease takeovers by this process (each under a new epoch)", () => Takeovers);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var attempt = Stopwatch.GetTimestamp();
            try
            {
                if (await AcquireAsync(stoppingToken) is { } epoch)
                {
                    Hold(epoch, attempt);
                }
                else
                {
                    Lose(Current, "another instance holds the lease");
                }
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("The central lease could not be renewed: {Problem}", exception.Message);
                if (Resilience.NeedsNewConnections(exception))
                {
                    _database.Clear();
                }
                var term = Current;
                if (term is not null && !Valid(term))
                {
                    Lose(term, "the lease could not be renewed in time");
                }
            }
            try
            {
                await Task.Delay(options.RenewEvery, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <summary>Gives the lease up on a graceful stop, so a standby takes over at its next attempt.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Lose(Current, "the host stops");
        try
        {
            await using var command = _database.CreateCommand("UPDATE central_lease SET lease_expires_at = NULL WHERE id = 1 AND holder = @holder");
            command.Parameters.AddWithValue("holder", Holder);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException)
        {
            logger.LogWarning("The central lease could not be given up; a standby takes over when it expires: {Problem}", exception.Message);
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _database.Dispose();
    }

    private async Task<long?> AcquireAsync(CancellationToken cancellationToken)
    {
        await using var command = _database.CreateCommand(AcquireSql);
        command.Parameters.AddWithValue("holder", Holder);
        command.Parameters.AddWithValue("duration", options.Duration);
        return await command.ExecuteScalarAsync(cancellationToken) is long epoch ? epoch : null;
    }

    private void Hold(long epoch, long attempt)
    {
        CancellationTokenSource? previous = null;
        lock (_gate)
        {
            _validUntil = attempt + (long)(options.Duration.TotalSeconds * Stopwatch.Frequency);
            if (_current?.Epoch == epoch)
            {
                return;
            }
            if (_current is not null)
            {
                previous = _lost;
                logger.LogWarning("The central lease was taken again under a new epoch {Epoch}", epoch);
            }
            var lost = new CancellationTokenSource();
            _current = new CentralTerm(epoch, lost.Token);
            _lost = lost;
            _held.TrySetResult(_current);
            if (epoch != LastEpoch)
            {
                Interlocked.Increment(ref _takeovers);
            }
            LastEpoch = epoch;
        }
        previous?.Cancel();
        logger.LogWarning("Active central controller {Holder} at epoch {Epoch}", Holder, epoch);
    }

    private void Lose(CentralTerm? term, string reason)
    {
        CancellationTokenSource? lost;
        lock (_gate)
        {
            if (term is null || _current != term)
            {
                return;
            }
            logger.LogWarning("Lost the central lease at epoch {Epoch}: {Reason}; standing by", term.Epoch, reason);
            _current = null;
            _held = new TaskCompletionSource<CentralTerm>(TaskCreationOptions.RunContinuationsAsynchronously);
            lost = _lost;
            _lost = null;
        }
        lost?.Cancel();
    }
}
