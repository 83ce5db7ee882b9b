using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Data;

namespace RealTimeDistributor.Distributor.Persistence;

/// <summary>A site replica: the configuration copy, the real-time tables, and how far the site is in each stream.</summary>
public sealed class ReplicaDbContext(DbContextOptions<ReplicaDbContext> options) : DbContext(options)
{
    public DbSet<SyncState> SyncState => Set<SyncState>();

    public DbSet<ConfigApplyLogEntry> ConfigApplyLog => Set<ConfigApplyLogEntry>();

    public DbSet<RealTimeRowEntity> RealTimeRows => Set<RealTimeRowEntity>();

    public DbSet<RealTimeTableState> RealTimeTables => Set<RealTimeTableState>();

    public DbSet<ResyncLogEntry> ResyncLog => Set<ResyncLogEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ModelConventions.ConfigureConfiguration(modelBuilder);
        modelBuilder.Entity<SyncState>(e =>
        {
            e.ToTable("sync_state");
            e.HasKey(x => x.Site);
            // a new replica's stream: a fresh id, and an epoch that starts at its creation time in milliseconds, so it is above
            // every epoch a replica of this site had before (each takeover adds one)
            e.Property(x => x.StreamId).HasDefaultValueSql("gen_random_uuid()");
            e.Property(x => x.Epoch).HasDefaultValueSql("(extract(epoch FROM clock_timestamp()) * 1000)::bigint");
        });
        modelBuilder.Entity<ConfigApplyLogEntry>(e =>
        {
            e.ToTable("config_apply_log");
            e.HasKey(x => x.CentralSequence);
            e.Property(x => x.CentralSequence).ValueGeneratedNever();
        });
        modelBuilder.Entity<RealTimeRowEntity>(e =>
        {
            e.ToTable("realtime_row");
            // no WAL for the live values: they are rewritten every interval and wholly every full refresh, which also refills
            // the table after a database crash empties it (the configuration and the sequences stay logged)
            e.IsUnlogged();
            // half of each page left free: rewriting a row (no indexed column changes) puts the new version on the same
            // page, a HOT update with no new index entry, and the page's dead versions are pruned in place, without vacuum
            e.HasStorageParameter("fillfactor", 50);
            e.HasKey(x => new { x.TableName, x.Key });
            // json (syntax only), not jsonb: nothing queries inside it, and the upsert is 1.09-1.16 times as fast on json
            // (docs/benchmarks.md, "realtime"); the numbers jsonb would refuse (1e1000000) are refused before, by
            // RealTimeApplier.Validate (RealTime/JsonNumbers)
            e.Property(x => x.Data).HasColumnType("json");
        });
        modelBuilder.Entity<RealTimeTableState>(e =>
        {
            e.ToTable("realtime_table_state");
            e.HasKey(x => x.TableName);
        });
        modelBuilder.Entity<ResyncLogEntry>(e =>
        {
            e.ToTable("resync_log");
            e.HasKey(x => x.Id);
        });
        ModelConventions.UseSnakeCaseColumns(modelBuilder);
    }
}

/// <summary>Where the site is: the last central config sequence applied, and the last site sequence handed out.</summary>
public sealed class SyncState
{
    public string Site { get; set; } = "";

    public long AppliedConfigSequence { get; set; }

    public long SiteSequence { get; set; }

    /// <summary>The replica's stream: a new id whenever the replica (this row) is created anew.</summary>
    public Guid StreamId { get; set; }

    /// <summary>The fencing epoch: grows by one at every takeover of the site lease; every commit checks it (docs/architecture.md).</summary>
    public long Epoch { get; set; }

    /// <summary>The distributor process that holds the site lease (instance and a per-start id), null before the first.</summary>
    public string? Holder { get; set; }

    /// <summary>Until when the holder's lease runs unless renewed (the database's clock).</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }
}

/// <summary>One replica rebuild from a central snapshot: when, why, at which watermark; first-start loads included.</summary>
public sealed class ResyncLogEntry
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public string Reason { get; set; } = "";

    public long Watermark { get; set; }

    public long Rows { get; set; }

    /// <summary>The first load of an empty replica (not counted as a resync).</summary>
    public bool InitialLoad { get; set; }

    public long Epoch { get; set; }

    public string Instance { get; set; } = "";
}

/// <summary>The site sequence each applied change was republished with, so a redelivered change is republished the same.</summary>
public sealed class ConfigApplyLogEntry
{
    public long CentralSequence { get; set; }

    public long SiteSequence { get; set; }

    public string Table { get; set; } = "";

    public string Operation { get; set; } = "";

    public string Key { get; set; } = "";

    public DateTimeOffset AppliedAt { get; set; }
}

/// <summary>The current value of one real-time row; written by bulk upsert, never with an older version.</summary>
public sealed class RealTimeRowEntity
{
    public string TableName { get; set; } = "";

    public string Key { get; set; } = "";

    public long Version { get; set; }

    public DateTimeOffset CentralUpdatedAt { get; set; }

    public string Data { get; set; } = "{}";

    public DateTimeOffset AppliedAt { get; set; }
}

/// <summary>When each real-time table was last updated and last fully refreshed.</summary>
public sealed class RealTimeTableState
{
    public string TableName { get; set; } = "";

    public DateTimeOffset LastUpdateAt { get; set; }

    public DateTimeOffset? LastFullRefreshAt { get; set; }
}
