using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>
/// Applies one central configuration change to the replica, strictly in sequence: at or below the applied sequence it is
/// a duplicate (nothing changes; its original site update is returned to be republished), above the next one it is a gap.
/// The change, the applied sequence and the site sequence commit together.
/// </summary>
public sealed class ConfigApplier(ReplicaDbContext db, DistributorSettings settings, DistributorStats stats, TimeProvider clock,
    ILogger<ConfigApplier> logger)
{
    public async Task<IReadOnlyList<SiteUpdate>> ApplyAsync(ConfigChanged change, CancellationToken cancellationToken)
    {
        var type = Validate(change);
        db.ChangeTracker.Clear(); // a retry after a failed attempt starts clean
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var state = (await db.SyncState
            .FromSql($"SELECT * FROM sync_state WHERE site = {settings.Site} FOR UPDATE")
            .ToListAsync(cancellationToken)).Single();
        if (change.Sequence <= state.AppliedConfigSequence)
        {
            stats.Duplicate();
            var applied = await db.ConfigApplyLog.AsNoTracking().SingleOrDefaultAsync(e => e.CentralSequence == change.Sequence, cancellationToken);
            logger.LogInformation("Skipped duplicate config change {Sequence} (applied through {Applied})", change.Sequence, state.AppliedConfigSequence);
            return applied is null ? [] : [ToSiteUpdate(change, applied.SiteSequence)];
        }
        if (change.Sequence != state.AppliedConfigSequence + 1)
        {
            throw new ConfigGapException(state.AppliedConfigSequence, change.Sequence);
        }

        var id = long.Parse(change.Key, System.Globalization.CultureInfo.InvariantCulture);
        var existing = await db.FindAsync(type, [id], cancellationToken);
        if (change.Operation == ConfigOperations.Delete)
        {
            if (existing is not null)
            {
                db.Remove(existing);
            }
        }
        else
        {
            var row = Deserialize(change, type);
            if (existing is null)
            {
                db.Add(row);
            }
            else
            {
                db.Entry(existing).CurrentValues.SetValues(row);
            }
        }
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
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is Npgsql.PostgresException
        {
            SqlState: Npgsql.PostgresErrorCodes.ForeignKeyViolation or Npgsql.PostgresErrorCodes.UniqueViolation,
        } postgres)
        {
            db.ChangeTracker.Clear();
            throw new PoisonMessageException($"Change {change.Sequence} ({change.Table} {change.Key}) does not fit the replica: {postgres.MessageText}");
        }
        await transaction.CommitAsync(cancellationToken);
        stats.Applied();
        logger.LogInformation("Applied config change {Sequence} {Table} {Key} {Operation}", change.Sequence, change.Table, change.Key, change.Operation);
        return [ToSiteUpdate(change, state.SiteSequence)];
    }

    private SiteUpdate ToSiteUpdate(ConfigChanged change, long siteSequence) =>
        new(settings.Site, siteSequence, SiteUpdate.ConfigKind, change.Table, change.Key, change, null, clock.GetUtcNow());

    private static Type Validate(ConfigChanged change)
    {
        if (change.Sequence <= 0 || change.PreviousSequence != change.Sequence - 1)
        {
            throw new PoisonMessageException($"Sequence {change.Sequence} with previous {change.PreviousSequence} is out of range.");
        }
        if (!ConfigTables.TryGet(change.Table ?? "", out var type))
        {
            throw new PoisonMessageException($"Unknown configuration table '{change.Table}'.");
        }
        if (!ConfigOperations.IsKnown(change.Operation ?? ""))
        {
            throw new PoisonMessageException($"Unknown operation '{change.Operation}'.");
        }
        if (!long.TryParse(change.Key, out var id) || id <= 0)
        {
            throw new PoisonMessageException($"Key '{change.Key}' is not a positive id.");
        }
        if (change.Operation == ConfigOperations.Upsert && change.Row is null)
        {
            throw new PoisonMessageException($"Upsert {change.Sequence} has no row.");
        }
        return type;
    }

    private static object Deserialize(ConfigChanged change, Type type)
    {
        try
        {
            var row = (ConfigRow?)change.Row!.Value.Deserialize(type, Json.Options) ?? throw new PoisonMessageException($"Change {change.Sequence} has an empty row.");
            if (row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) != change.Key)
            {
                throw new PoisonMessageException($"Change {change.Sequence}: row id {row.Id} does not match key {change.Key}.");
            }
            return row;
        }
        catch (JsonException exception)
        {
            throw new PoisonMessageException($"Change {change.Sequence}: the row does not parse as {change.Table}: {exception.Message}");
        }
    }
}
