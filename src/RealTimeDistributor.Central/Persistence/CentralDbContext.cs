using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Data;
using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Central.Persistence;

/// <summary>The central database: the configuration of record, the change log (the outbox) and the relay's position in it.</summary>
public sealed class CentralDbContext(DbContextOptions<CentralDbContext> options) : DbContext(options)
{
    public DbSet<ConfigChangeLogEntry> ChangeLog => Set<ConfigChangeLogEntry>();

    public DbSet<RelayState> RelayState => Set<RelayState>();

    public DbSet<AdminAuditEntry> Audit => Set<AdminAuditEntry>();

    public DbSet<Agent> Agents => Set<Agent>();

    public DbSet<SkillGroupMember> SkillGroupMembers => Set<SkillGroupMember>();

    public DbSet<SkillGroup> SkillGroups => Set<SkillGroup>();

    public DbSet<CallType> CallTypes => Set<CallType>();

    public DbSet<CentralLeaseRow> CentralLease => Set<CentralLeaseRow>();

    public DbSet<StatisticsCheckpointRow> StatisticsCheckpoint => Set<StatisticsCheckpointRow>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ModelConventions.ConfigureConfiguration(modelBuilder);
        modelBuilder.Entity<ConfigChangeLogEntry>(e =>
        {
            e.ToTable("config_change_log");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.Property(x => x.RowJson).HasColumnType("jsonb");
        });
        modelBuilder.Entity<AdminAuditEntry>(e =>
        {
            e.ToTable("admin_audit");
            e.HasKey(x => x.Sequence);
            e.Property(x => x.Sequence).ValueGeneratedNever();
            e.HasIndex(x => x.ChangedAt);
            e.HasIndex(x => x.CommitId);
        });
        modelBuilder.Entity<ConfigSequence>(e =>
        {
            e.ToTable("config_sequence");
            e.HasData(new ConfigSequence { Id = 1, LastValue = 0 });
        });
        modelBuilder.Entity<RelayState>(e =>
        {
            e.ToTable("relay_state");
            e.HasData(new RelayState { Id = 1, PublishedThrough = 0 });
        });
        modelBuilder.Entity<CentralLeaseRow>(e =>
        {
            e.ToTable("central_lease");
            e.HasData(new CentralLeaseRow { Id = 1, Epoch = 0 });
        });
        modelBuilder.Entity<StatisticsCheckpointRow>(e =>
        {
            e.ToTable("statistics_checkpoint");
            e.Property(x => x.State).HasColumnType("jsonb");
        });
        ModelConventions.UseSnakeCaseColumns(modelBuilder);
    }
}

/// <summary>One committed change; <see cref="Sequence"/> rises by exactly one per change (see <see cref="ConfigSequence"/>).</summary>
public sealed class ConfigChangeLogEntry
{
    public long Sequence { get; set; }

    public string Table { get; set; } = "";

    public string Operation { get; set; } = "";

    public string Key { get; set; } = "";

    public string? RowJson { get; set; }

    public DateTimeOffset CommittedAt { get; set; }

    /// <summary>The W3C trace context of the edit's commit span (null when tracing is off): the relay continues its trace.</summary>
    public string? TraceParent { get; set; }
}

/// <summary>
/// Who made one committed change (the admin key's name), from where (remote address), when, and whether it was forced
/// (no version named). Written in the change's own transaction; kept when the change log is trimmed.
/// </summary>
public sealed class AdminAuditEntry
{
    public long Sequence { get; set; }

    public string Table { get; set; } = "";

    public string Operation { get; set; } = "";

    public string Key { get; set; } = "";

    public string ChangedBy { get; set; } = "";

    public string? ChangedFrom { get; set; }

    public bool Forced { get; set; }

    public DateTimeOffset ChangedAt { get; set; }

    /// <summary>
    /// The edit's commit (one per transaction: every change of a batch has the same): how the writer finds out whether a
    /// commit whose answer it lost (the connection cut by a failover) went through (<see cref="ChangeLog.CommitRetry"/>).
    /// </summary>
    public Guid? CommitId { get; set; }
}

/// <summary>
/// The single-row counter behind the gapless change sequence. Writers increment it inside their transaction, so the
/// row lock orders them and a rollback gives the number back (a PostgreSQL SEQUENCE would leave a hole).
/// </summary>
public sealed class ConfigSequence
{
    public int Id { get; set; }

    public long LastValue { get; set; }
}

/// <summary>How far the relay has published the change log (every sequence up to and including this one is confirmed by the broker).</summary>
public sealed class RelayState
{
    public int Id { get; set; }

    public long PublishedThrough { get; set; }
}

/// <summary>
/// The single-row central lease (<see cref="Lease.CentralLease"/>): which center instance is active, under which epoch
/// (one more on every takeover), until when (the database's clock).
/// </summary>
public sealed class CentralLeaseRow
{
    public int Id { get; set; }

    public string? Holder { get; set; }

    public long Epoch { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }
}

/// <summary>The statistics engine's window counters as the active center last wrote them (<see cref="RealTime.StatisticsCheckpoint"/>).</summary>
public sealed class StatisticsCheckpointRow
{
    public int Id { get; set; }

    public long Epoch { get; set; }

    public DateTimeOffset TakenAt { get; set; }

    public string State { get; set; } = "{}";
}
