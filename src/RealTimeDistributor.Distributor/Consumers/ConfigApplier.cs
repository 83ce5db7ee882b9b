using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>What a run of changes did: the site updates to republish and the sequence the replica is now at.</summary>
public sealed record RunResult(IReadOnlyList<SiteUpdate> Updates, long Applied);

/// <summary>
/// Applies a run of consecutive central configuration changes to the replica in one transaction, strictly in sequence:
/// a change at or below the applied sequence is a duplicate (nothing changes; its original site update is returned to be
/// republished), and the run stops at the first one that is not exactly the next. The changes, the applied sequence and
/// the site sequences commit together. If the run does not fit as a whole (a unique name moved between rows, say), it is
/// replayed one change at a time in the same transaction, and the change that does not fit is reported as poison.
/// </summary>
public sealed class ConfigApplier(ReplicaDbContext db, DistributorSettings settings, DistributorStats stats, TimeProvider clock,
    ILogger<ConfigApplier> logger)
{
    public async Task<RunResult> ApplyRunAsync(IReadOnlyList<ConfigChanged> run, CancellationToken cancellationToken)
    {
        try
        {
            return await ApplyAsync(run, stepByStep: false, cancellationToken);
        }
        catch (DbUpdateException exception) when (IsMisfit(exception) && run.Count > 1)
        {
            logger.LogInformation("A run of {Count} changes from {Sequence} does not apply as a whole; applying it change by change",
                run.Count, run[0].Sequence);
            return await ApplyAsync(run, stepByStep: true, cancellationToken);
        }
    }

    private async Task<RunResult> ApplyAsync(IReadOnlyList<ConfigChanged> run, bool stepByStep, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear(); // a retry after a failed attempt starts clean
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync(ReplicaCommit.Asynchronous, cancellationToken);
        var state = (await db.SyncState
            .FromSql($"SELECT * FROM sync_state WHERE site = {settings.Site} FOR UPDATE")
            .ToListAsync(cancellationToken)).Single();

        var updates = new List<SiteUpdate>();
        var duplicates = run.Where(c => c.Sequence <= state.AppliedConfigSequence).Select(c => c.Sequence).ToList();
        if (duplicates.Count > 0)
        {
            var original = await db.ConfigApplyLog.AsNoTracking().Where(e => duplicates.Contains(e.CentralSequence))
                .ToDictionaryAsync(e => e.CentralSequence, e => e.SiteSequence, cancellationToken);
            foreach (var change in run.Where(c => c.Sequence <= state.AppliedConfigSequence))
            {
                stats.Duplicate();
                if (original.TryGetValue(change.Sequence, out var siteSequence))
                {
                    updates.Add(ToSiteUpdate(change, siteSequence));
                }
            }
            logger.LogInformation("Skipped {Count} duplicate config changes (applied through {Sequence})", duplicates.Count, state.AppliedConfigSequence);
        }

        var next = run.Where(c => c.Sequence > state.AppliedConfigSequence).OrderBy(c => c.Sequence).ToList();
        await LoadExistingAsync(next, cancellationToken);
        var applied = 0;
        foreach (var change in next)
        {
            if (change.Sequence != state.AppliedConfigSequence + 1)
            {
                break;
            }
            Stage(change);
            state.AppliedConfigSequence = change.Sequence;
            state.SiteSequence++;
            db.ConfigApplyLog.Add(new ConfigApplyLogEntry
            {
                CentralSequence = change.Sequence,
                SiteSequence = state.SiteSequence,
                Table = change.Table,
                Operation = change.Operation,
                Key = change.Key,
                AppliedAt = clock.GetUtcNow(),
            });
            updates.Add(ToSiteUpdate(change, state.SiteSequence));
            applied++;
            if (stepByStep)
            {
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException exception) when (IsMisfit(exception))
                {
                    throw new PoisonMessageException(change.Sequence,
                        $"Change {change.Sequence} ({change.Table} {change.Key}) does not fit the replica: {exception.InnerException!.Message}");
                }
            }
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        for (var i = 0; i < applied; i++)
        {
            stats.Applied();
        }
        if (applied > 0)
        {
            logger.LogInformation("Applied config changes through {Sequence} ({Count} in one transaction)", state.AppliedConfigSequence, applied);
        }
        return new RunResult(updates, state.AppliedConfigSequence);
    }

    /// <summary>One query per table brings the rows a run touches into the change tracker.</summary>
    private async Task LoadExistingAsync(IReadOnlyList<ConfigChanged> run, CancellationToken cancellationToken)
    {
        foreach (var group in run.GroupBy(c => c.Table))
        {
            ConfigTables.TryGet(group.Key, out var type);
            var ids = group.Select(c => Id(c)).Distinct().ToList();
            await Rows(type).Where(r => ids.Contains(r.Id)).LoadAsync(cancellationToken);
        }
    }

    private void Stage(ConfigChanged change)
    {
        ConfigTables.TryGet(change.Table, out var type);
        var tracked = db.ChangeTracker.Entries<ConfigRow>().FirstOrDefault(e => e.Entity.GetType() == type && e.Entity.Id == Id(change));
        if (change.Operation == ConfigOperations.Delete)
        {
            if (tracked is { State: not EntityState.Deleted and not EntityState.Detached })
            {
                if (tracked.State == EntityState.Added)
                {
                    tracked.State = EntityState.Detached;
                }
                else
                {
                    tracked.State = EntityState.Deleted;
                }
            }
            return;
        }
        var row = Deserialize(change, type);
        if (tracked is null || tracked.State == EntityState.Detached)
        {
            db.Add(row);
        }
        else
        {
            tracked.CurrentValues.SetValues(row);
            if (tracked.State == EntityState.Deleted)
            {
                tracked.State = EntityState.Modified;
            }
        }
    }

    private IQueryable<ConfigRow> Rows(Type type) =>
        (IQueryable<ConfigRow>)typeof(DbContext).GetMethod(nameof(DbContext.Set), Type.EmptyTypes)!.MakeGenericMethod(type).Invoke(db, null)!;

    private static bool IsMisfit(DbUpdateException exception) => exception.InnerException is PostgresException
    {
        SqlState: PostgresErrorCodes.ForeignKeyViolation or PostgresErrorCodes.UniqueViolation,
    };

    private static long Id(ConfigChanged change) => long.Parse(change.Key, System.Globalization.CultureInfo.InvariantCulture);

    private SiteUpdate ToSiteUpdate(ConfigChanged change, long siteSequence) =>
        new(settings.Site, siteSequence, SiteUpdate.ConfigKind, change.Table, change.Key, change, null, clock.GetUtcNow());

    /// <summary>Checks a change can apply at all; one that cannot is poison (error queue, with the reason).</summary>
    public static void Validate(ConfigChanged change)
    {
        if (change.Sequence <= 0 || change.PreviousSequence != change.Sequence - 1)
        {
            throw new PoisonMessageException(change.Sequence, $"Sequence {change.Sequence} with previous {change.PreviousSequence} is out of range.");
        }
        if (!ConfigTables.TryGet(change.Table ?? "", out var type))
        {
            throw new PoisonMessageException(change.Sequence, $"Unknown configuration table '{change.Table}'.");
        }
        if (!ConfigOperations.IsKnown(change.Operation ?? ""))
        {
            throw new PoisonMessageException(change.Sequence, $"Unknown operation '{change.Operation}'.");
        }
        if (!long.TryParse(change.Key, out var id) || id <= 0)
        {
            throw new PoisonMessageException(change.Sequence, $"Key '{change.Key}' is not a positive id.");
        }
        if (change.Operation == ConfigOperations.Upsert)
        {
            if (change.Row is null)
            {
                throw new PoisonMessageException(change.Sequence, $"Upsert {change.Sequence} has no row.");
            }
            Deserialize(change, type);
        }
    }

    private static ConfigRow Deserialize(ConfigChanged change, Type type)
    {
        try
        {
            var row = (ConfigRow?)change.Row!.Value.Deserialize(type, Json.Options)
                ?? throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence} has an empty row.");
            if (row.Id != Id(change))
            {
                throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence}: row id {row.Id} does not match key {change.Key}.");
            }
            return row;
        }
        catch (JsonException exception)
        {
            throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence}: the row does not parse as {change.Table}: {exception.Message}");
        }
    }
}
