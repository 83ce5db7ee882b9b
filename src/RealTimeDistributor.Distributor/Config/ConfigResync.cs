using System.Text.Json;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
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
/// in one transaction. The site sequence skips one number, so every client sees a gap and reloads its own snapshot.
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

    /// <summary>Replaces the replica's configuration with <paramref name="snapshot"/> (under the site stream's lock).</summary>
    public async Task<IReadOnlyList<SiteUpdate>> LoadAsync(ConfigSnapshot snapshot, string reason, bool initialLoad, CancellationToken cancellationToken)
    {
        var started = DateTimeOffset.UtcNow;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var clear = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(ReplicaCommit.Asynchronous),
                new NpgsqlBatchCommand("SELECT 1 FROM sync_state WHERE site = $1 FOR UPDATE") { Parameters = { new NpgsqlParameter<string> { TypedValue = settings.Site } } },
                new NpgsqlBatchCommand(ConfigTables.TruncateAllSql),
            },
        })
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var table in ConfigTables.All)
        {
            await table.CopyAsync(connection, snapshot.Rows[table.Name].Select(r => table.Deserialize(r, Json.Options)!), cancellationToken);
        }
        await using (var state = new NpgsqlCommand(
            "UPDATE sync_state SET applied_config_sequence = $1, site_sequence = site_sequence + $2 WHERE site = $3", connection, transaction))
        {
            state.Parameters.Add(new NpgsqlParameter<long> { TypedValue = snapshot.Watermark });
            // a deliberate gap in the site sequence: clients reload (nothing to reload after an empty first load)
            state.Parameters.Add(new NpgsqlParameter<long> { TypedValue = !initialLoad || snapshot.TotalRows > 0 ? 1 : 0 });
            state.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
            await state.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        if (!initialLoad)
        {
            guard.Resynced();
        }
        logger.LogWarning("Resynchronised the replica from a central snapshot at {Sequence} ({Rows} rows, {Elapsed} ms) because {Reason}",
            snapshot.Watermark, snapshot.TotalRows, (int)(DateTimeOffset.UtcNow - started).TotalMilliseconds, reason);
        return [];
    }
}
