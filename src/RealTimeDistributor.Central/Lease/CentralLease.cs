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
/// holder publishes (the relay, the statistics feed, the activity intake wait on
/// <see cref="DatabaseLease{TGrant, THolding}.WaitAsync"/>), and before each
/// publish it asks <see cref="Valid"/>, which also counts the lease lost once <see cref="CentralLeaseOptions.Duration"/> has
/// passed on this process's monotonic clock since the start of its last renewal that worked (so a process that was paused
/// knows it, on waking, before any round trip). What it publishes carries its epoch (docs/wire-format.md); a distributor
/// ignores a lower epoch than the highest it has seen, which fences the moment between the check and the publish. The
/// database rows the holder writes (the relay's position, the statistics checkpoint) are fenced in their own statement
/// (<see cref="FenceSql"/>). A graceful stop gives the lease up, so a standby takes over at its next attempt.
/// </summary>
public sealed class CentralLease(string connectionString, CentralLeaseOptions options, ILogger<CentralLease> logger)
    : DatabaseLease<CentralLease.Grant, CentralTerm>(NpgsqlDataSource.Create(connectionString), $"{Environment.MachineName}-{Guid.NewGuid():N}", "central lease",
        options.Duration, TimeProvider.System, logger)
{
    /// <summary>The condition a fenced write adds: the lease row is still this holder's, at this epoch (locked against a takeover until commit).</summary>
    public const string FenceSql = "EXISTS (SELECT 1 FROM central_lease WHERE id = 1 AND epoch = @epoch AND holder = @holder FOR SHARE)";

    private const string AcquireSql = """
        UPDATE central_lease
        SET epoch = CASE WHEN holder = @holder THEN epoch ELSE epoch + 1 END, holder = @holder, lease_expires_at = clock_timestamp() + @duration
        WHERE id = 1 AND (holder = @holder OR holder IS NULL OR lease_expires_at IS NULL OR lease_expires_at < clock_timestamp())
        RETURNING epoch
        """;

    private long _takeovers;

    /// <summary>The epoch granted by one acquire.</summary>
    public sealed record Grant(long Epoch);

    /// <summary>The term this process holds now, else null.</summary>
    public CentralTerm? Current => Holds;

    /// <summary>How often this process took the lease under a new epoch.</summary>
    public long Takeovers => Interlocked.Read(ref _takeovers);

    /// <summary>The epoch of the last term this process held (0: none).</summary>
    public long LastEpoch { get; private set; }

    /// <summary>True while <paramref name="term"/> is held and its last renewal is younger than the lease: publish now or not at all.</summary>
    public bool Valid(CentralTerm term) => Fresh(term);

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
    public ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => Database.OpenConnectionAsync(cancellationToken);

    /// <summary>The lease holder (1) or not (0), and the takeovers this process made, as <c>rtd_central_lease_holder</c> and <c>rtd_central_takeovers_total</c>.</summary>
    public void ReportTo(RtdMetrics metrics)
    {
        metrics.Meter.CreateObservableGauge("rtd.central.lease_holder", () => new System.Diagnostics.Metrics.Measurement<int>(Current is null ? 0 : 1, metrics.Tags),
            "{holder}", "1 on the active central controller (the central lease holder), 0 on a standby");
        metrics.ObserveCounter("rtd.central.takeovers", "{takeover}", "central lease takeovers by this process (each under a new epoch)", () => Takeovers);
    }

    public override void Dispose()
    {
        base.Dispose();
        Database.Dispose();
    }

    protected override async Task<(Grant? Grant, string? PreviousHolder)> AcquireAsync(CancellationToken cancellationToken)
    {
        await using var command = Database.CreateCommand(AcquireSql);
        command.Parameters.AddWithValue("holder", Holder);
        command.Parameters.AddWithValue("duration", options.Duration);
        return (await command.ExecuteScalarAsync(cancellationToken) is long epoch ? new Grant(epoch) : null, null);
    }

    protected override async Task GiveUpAsync(CancellationToken cancellationToken)
    {
        await using var command = Database.CreateCommand("UPDATE central_lease SET lease_expires_at = NULL WHERE id = 1 AND holder = @holder");
        command.Parameters.AddWithValue("holder", Holder);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override CentralTerm NewHolding(Grant grant, CancellationToken lost) => new(grant.Epoch, lost);

    protected override Grant GrantOf(CentralTerm holding) => new(holding.Epoch);

    protected override void LogReplaced(Grant previous, Grant grant) =>
        logger.LogWarning("The central lease was taken again under a new epoch {Epoch}", grant.Epoch);

    protected override void LogLost(Grant grant, string reason) =>
        logger.LogWarning("Lost the central lease at epoch {Epoch}: {Reason}; standing by", grant.Epoch, reason);

    protected override void Took(Grant grant)
    {
        if (grant.Epoch != LastEpoch)
        {
            Interlocked.Increment(ref _takeovers);
        }
        LastEpoch = grant.Epoch;
        logger.LogWarning("Active central controller {Holder} at epoch {Epoch}", Holder, grant.Epoch);
    }
}
