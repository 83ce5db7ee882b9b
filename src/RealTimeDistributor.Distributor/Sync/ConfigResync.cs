using System.Text.Json;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Sync;

/// <summary>
/// Rebuilds the replica's configuration from a central snapshot ("initialise the local database" in updateaw): every
/// configuration table is replaced by the snapshot's rows and the applied sequence set to its watermark, in one
/// transaction. The site sequence skips one number, so every client sees a gap and reloads its own snapshot.
/// </summary>
public sealed class ConfigResync(ReplicaDbContext db, IRequestClient<ConfigSnapshotRequested> snapshots, DistributorSettings settings,
    ResyncGuard guard, ILogger<ConfigResync> logger)
{
    /// <summary>
    /// Asks the central controller for the snapshot. Called outside the site stream's lock, so real-time apply goes on
    /// while the center is slow or down; gives up after <paramref name="timeout"/> (the caller retries).
    /// </summary>
    /// <param name="initialLoad">The first load of an empty replica: not counted as a resync, never delayed.</param>
    public async Task<ConfigSnapshotTaken> FetchAsync(string reason, bool initialLoad, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!initialLoad)
        {
            await guard.BeforeResyncAsync(reason, cancellationToken);
        }
        var response = await snapshots.GetResponse<ConfigSnapshotTaken>(new ConfigSnapshotRequested(settings.Site, reason), cancellationToken,
            RequestTimeout.After(ms: (int)timeout.TotalMilliseconds));
        return response.Message;
    }

    /// <summary>Replaces the replica's configuration with <paramref name="snapshot"/> (under the site stream's lock).</summary>
    public async Task<IReadOnlyList<SiteUpdate>> LoadAsync(ConfigSnapshotTaken snapshot, string reason, bool initialLoad, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        db.ChangeTracker.Clear();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var state = (await db.SyncState.FromSql($"SELECT * FROM sync_state WHERE site = {settings.Site} FOR UPDATE").ToListAsync(cancellationToken)).Single();
        foreach (var (name, _) in ConfigTables.All.Reverse())
        {
#pragma warning disable EF1002 // table names come from ConfigTables, not from input
            await db.Database.ExecuteSqlRawAsync($"DELETE FROM \"{name}\"", cancellationToken);
#pragma warning restore EF1002
        }
        var rows = 0;
        foreach (var (name, type) in ConfigTables.All)
        {
            var table = snapshot.Tables.SingleOrDefault(t => t.Table == name);
            foreach (var row in table?.Rows ?? [])
            {
                db.Add(row.Deserialize(type, Json.Options)!);
                rows++;
            }
        }
        state.AppliedConfigSequence = snapshot.Watermark;
        if (!initialLoad || rows > 0)
        {
            state.SiteSequence += 1; // a deliberate gap: clients reload (nothing to reload after an empty first load)
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        if (!initialLoad)
        {
            guard.Resynced();
        }
        logger.LogWarning("Resynchronised the replica from a central snapshot at {Sequence} ({Rows} rows, {Elapsed} ms) because {Reason}",
            snapshot.Watermark, rows, (int)(DateTimeOffset.UtcNow - started).TotalMilliseconds, reason);
        return [];
    }
}
