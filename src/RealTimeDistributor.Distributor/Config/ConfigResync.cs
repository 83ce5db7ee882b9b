using System.Text.Json;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>A whole central configuration snapshot, its chunks put together: the rows of each table as of the watermark.</summary>
public sealed record ConfigSnapshot(long Watermark, IReadOnlyDictionary<string, List<JsonElement>> Rows)
{
    public long TotalRows => Rows.Values.Sum(r => (long)r.Count);
}

/// <summary>
/// Rebuilds the replica's configuration from a central snapshot ("initialise the local database" in updateaw): every
/// configuration table is replaced by the snapshot's rows (binary COPY) and the applied sequence set to its watermark,
/// in one transaction. The site sequence skips one number, announced by a reset message, so every client reloads its own snapshot at once.
/// </summary>
public sealed class ConfigResync(NpgsqlDataSource dataSource, RabbitMqSettings broker, DistributorSettings settings, ResyncGuard guard,
    ILogger<ConfigResync> logger)
{
    /// <summary>
    /// Asks the central controller for the snapshot (<see cref="SnapshotRequester"/>, replies on this instance's
    /// <see cref="Topology.Central.SnapshotReplyQueue"/>) and puts its rows together by table. Called outside the site
    /// stream's lock, so real-time apply goes on while the center is slow or down; gives up when no chunk has come for
    /// <paramref name="timeout"/> (the caller asks again).
    /// </summary>
    /// <param name="initialLoad">The first load of an empty replica: not counted as a resync, never delayed.</param>
    public async Task<ConfigSnapshot> FetchAsync(string reason, bool initialLoad, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!initialLoad)
        {
            await guard.BeforeResyncAsync(reason, cancellationToken);
        }
        var snapshot = await RequestAsync(broker, settings.Site, settings.Instance, reason, timeout, logger, cancellationToken);
        var rows = ConfigTables.All.ToDictionary(t => t.Name, _ => new List<JsonElement>());
        foreach (var row in snapshot.Rows)
        {
            if (!rows.TryGetValue(row.Table, out var list))
            {
                throw new InvalidDataException($"Configuration snapshot {snapshot.SnapshotId}: unknown table '{row.Table}'.");
            }
            list.Add(row.Row);
        }
        return new ConfigSnapshot(snapshot.Watermark, rows);
    }

    /// <summary>
    /// The center's last committed sequence (a snapshot request for the watermark only): a change beyond it was never
    /// committed there, however long one waits for the changes before it.
    /// </summary>
    public async Task<long> CenterCommittedAsync(string reason, TimeSpan timeout, CancellationToken cancellationToken) =>
        (await RequestAsync(broker, settings.Site, settings.Instance, reason, timeout, logger, cancellationToken, watermarkOnly: true)).Watermark;

    /// <summary>One configuration snapshot from the central controller, as a distributor instance (or a test) asks for it.</summary>
    public static Task<Snapshot<ConfigSnapshotRow>> RequestAsync(RabbitMqSettings broker, string site, string requester, string reason, TimeSpan timeout,
        ILogger logger, CancellationToken cancellationToken, bool watermarkOnly = false)
    {
        var (snapshotId, replyTo) = (Guid.NewGuid(), Topology.Central.SnapshotReplyQueue(site, $"{requester}-{(watermarkOnly ? "sequence" : "config")}"));
        return SnapshotRequester.RequestAsync<ConfigSnapshotRequested, ConfigSnapshotRow>(broker, Topology.Central.ConfigSnapshotRequests(broker.CentralVirtualHost),
            $"rtd {site} distributor {requester} configuration {(watermarkOnly ? "sequence" : "snapshot")}", replyTo, snapshotId,
            new ConfigSnapshotRequested(site, reason, snapshotId, replyTo, watermarkOnly), timeout, logger, cancellationToken);
    }

    /// <summary>
    /// Replaces the replica's configuration with <paramref name="snapshot"/> (under the site stream's lock), in one
    /// transaction fenced by the lease's epoch: the applied sequence becomes the watermark, the site sequence skips one number,
    /// which the reset this returns announces to the clients, and the rebuild is recorded in <c>resync_log</c>. A snapshot
    /// older than what the replica has applied is not loaded (a load never moves the applied sequence backwards), nor is a
    /// first-start snapshot once the replica has one.
    /// </summary>
    public async Task<IReadOnlyList<SiteUpdate>> LoadAsync(ConfigSnapshot snapshot, string reason, bool initialLoad, LeaseGrant grant, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long applied;
        await using (var state = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(ReplicaCommit.Asynchronous),
                new NpgsqlBatchCommand($"SELECT applied_config_sequence FROM sync_state WHERE {SiteLease.FenceSql} FOR UPDATE")
                {
                    Parameters = { new NpgsqlParameter<string> { TypedValue = settings.Site }, new NpgsqlParameter<long> { TypedValue = grant.Epoch } },
                },
            },
        })
        {
            if (await state.ExecuteScalarAsync(cancellationToken) is not long current)
            {
                throw new EpochRefusedException(settings.Site, grant);
            }
            applied = current;
        }
        if (snapshot.Watermark < applied || (initialLoad && applied > 0))
        {
            logger.LogInformation("Did not load the central snapshot at {Sequence}: the replica has applied through {Applied} already", snapshot.Watermark, applied);
            return [];
        }
        await using (var clear = new NpgsqlCommand(ConfigTables.TruncateAllSql, connection, transaction))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var table in ConfigTables.All)
        {
            await table.CopyAsync(connection, snapshot.Rows[table.Name].Select(r => table.Deserialize(r, Json.Options)!), cancellationToken);
        }
        // a deliberate step in the site sequence, announced by a reset: clients reload (nothing to reload after an empty first load)
        var announce = !initialLoad || snapshot.TotalRows > 0;
        long siteSequence;
        await using (var record = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("UPDATE sync_state SET applied_config_sequence = $1, site_sequence = site_sequence + $2 WHERE site = $3 RETURNING site_sequence")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<long> { TypedValue = snapshot.Watermark },
                        new NpgsqlParameter<long> { TypedValue = announce ? 1 : 0 },
                        new NpgsqlParameter<string> { TypedValue = settings.Site },
                    },
                },
                new NpgsqlBatchCommand(
                    "INSERT INTO resync_log (at, reason, watermark, rows, initial_load, epoch, instance) VALUES (now(), $1, $2, $3, $4, $5, $6)")
                {
                    Parameters =
                    {
                        new NpgsqlParameter<string> { TypedValue = reason },
                        new NpgsqlParameter<long> { TypedValue = snapshot.Watermark },
                        new NpgsqlParameter<long> { TypedValue = snapshot.TotalRows },
                        new NpgsqlParameter<bool> { TypedValue = initialLoad },
                        new NpgsqlParameter<long> { TypedValue = grant.Epoch },
                        new NpgsqlParameter<string> { TypedValue = settings.Instance },
                    },
                },
            },
        })
        {
            siteSequence = (long)(await record.ExecuteScalarAsync(cancellationToken))!;
        }
        await transaction.CommitAsync(cancellationToken);
        if (!initialLoad)
        {
            guard.Resynced();
        }
        logger.LogWarning("Resynchronised the replica from a central snapshot at {Sequence} ({Rows} rows, {Elapsed} ms) because {Reason}",
            snapshot.Watermark, snapshot.TotalRows, (int)(DateTimeOffset.UtcNow - started).TotalMilliseconds, reason);
        return announce ? [SiteStream.Reset(settings.Site, siteSequence, grant, DateTimeOffset.UtcNow)] : [];
    }
}
