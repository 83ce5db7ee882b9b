using Npgsql;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>The site lease as this process holds it: the epoch its commits are fenced with and the replica's stream id.</summary>
public sealed record LeaseGrant(long Epoch, Guid StreamId);

/// <summary>This process does not hold the site lease (or the database refused its epoch): it must neither commit nor publish.</summary>
public class NotLeaseHolderException(string message) : HandBackException(message);

/// <summary>
/// The replica refused a commit under <paramref name="grant"/>'s epoch: another instance took the site over. Thrown by the
/// appliers (their commits are fenced, <see cref="SiteLease.FenceSql"/>); <see cref="SiteStream"/>, which handed them the grant, tells the lease.
/// </summary>
public sealed class EpochRefusedException(string site, LeaseGrant grant)
    : NotLeaseHolderException($"Site {site}: the replica refused epoch {grant.Epoch} (another instance holds a newer one).");

/// <summary>
/// One active distributor instance per site, for the configuration stream, the real-time stream and the site stream
/// together: a lease in the replica's <c>sync_state</c> row (holder, epoch, lease_expires_at, on the database's clock). Every
/// third of the lease's duration this service takes or renews it with one conditional UPDATE: the holder renews; anyone takes it
/// when it is free or expired, and a takeover adds one to the epoch. Every commit that moves the site sequence checks the
/// epoch in the same transaction (<see cref="FenceSql"/>), so a process that lost the lease without knowing it (paused,
/// cut off) has its commits refused by the database. The consumers attach only while the lease is held
/// (<see cref="DatabaseLease{TGrant, THolding}.WaitAsync"/>) and detach when it is lost. A graceful stop gives the lease up, so a standby takes over at its
/// next attempt; after a kill -9 it takes over once the lease has expired (<see cref="DistributorSettings.LeaseDuration"/>).
/// </summary>
public sealed class SiteLease(NpgsqlDataSource dataSource, DistributorSettings settings, TimeProvider clock, PreviousHolderFence fence, ILogger<SiteLease> logger)
    : DatabaseLease<LeaseGrant, SiteLease.Holding>(dataSource, $"{settings.Instance}-{Guid.NewGuid():N}", "site lease", settings.LeaseDuration, clock, logger)
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

    private long _takeovers;
    private long _fenced;

    /// <summary>The lease held, and a token cancelled when it is lost.</summary>
    public sealed record Holding(LeaseGrant Grant, CancellationToken Lost);

    /// <summary>The lease if this process holds it now, else null.</summary>
    public LeaseGrant? Current => Holds?.Grant;

    /// <summary>How often this process took the lease over (each with a new epoch).</summary>
    public long Takeovers => Interlocked.Read(ref _takeovers);

    /// <summary>Commits the database refused because another process holds a newer epoch.</summary>
    public long Fenced => Interlocked.Read(ref _fenced);

    /// <summary>The lease as this process holds it now; throws <see cref="NotLeaseHolderException"/> if it holds none.</summary>
    public Holding Require() => Holds ?? throw new NotLeaseHolderException($"Instance {settings.Instance} does not hold the lease of site {settings.Site}.");

    /// <summary>The database refused a commit under <paramref name="grant"/>: another process took the site over.</summary>
    public void Refused(LeaseGrant grant)
    {
        Interlocked.Increment(ref _fenced);
        Lose(Holds is { } holding && holding.Grant == grant ? holding : null,
            "the database refused a commit under this epoch (another instance took the site over)");
    }

    /// <summary>The grant (null: another instance holds the lease) and the holder before this attempt.</summary>
    protected override async Task<(LeaseGrant? Grant, string? PreviousHolder)> AcquireAsync(CancellationToken cancellationToken)
    {
        await using var command = Database.CreateCommand(AcquireSql);
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Holder });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = settings.LeaseDuration });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? (new LeaseGrant(reader.GetInt64(0), reader.GetGuid(1)), reader.IsDBNull(2) ? null : reader.GetString(2))
            : (null, null);
    }

    /// <summary>Taken from another instance: if it is frozen, it still holds the site's queues.</summary>
    protected override Task TakenFromAsync(string previousHolder, CancellationToken cancellationToken) =>
        fence.CloseConnectionsOfAsync(previousHolder, cancellationToken);

    protected override async Task GiveUpAsync(CancellationToken cancellationToken)
    {
        await using var command = Database.CreateCommand("UPDATE sync_state SET lease_expires_at = NULL WHERE site = $1 AND holder = $2");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Holder });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    protected override Holding NewHolding(LeaseGrant grant, CancellationToken lost) => new(grant, lost);

    protected override LeaseGrant GrantOf(Holding holding) => holding.Grant;

    protected override void LogReplaced(LeaseGrant previous, LeaseGrant grant) => LogLost(previous, "the lease was taken again under a new epoch");

    protected override void LogLost(LeaseGrant grant, string reason) =>
        logger.LogWarning("Lost the lease of site {Site} at epoch {Epoch}: {Reason}; standing by", settings.Site, grant.Epoch, reason);

    protected override void Took(LeaseGrant grant)
    {
        Interlocked.Increment(ref _takeovers);
        logger.LogWarning("Took over site {Site} as {Holder} at epoch {Epoch} (stream {StreamId})", settings.Site, Holder, grant.Epoch, grant.StreamId);
    }
}
