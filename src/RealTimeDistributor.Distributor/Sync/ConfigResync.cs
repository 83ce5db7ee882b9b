using System.Text.Json;
using System.Threading.Channels;
using MassTransit;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Consumers;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Sync;

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
public sealed class ConfigResync(NpgsqlDataSource dataSource, ConfigSql sql, IBus bus, DistributorSettings settings, ResyncGuard guard,
    ILogger<ConfigResync> logger)
{
    /// <summary>
    /// Asks the central controller for the snapshot and collects its chunks. Called outside the site stream's lock, so
    /// real-time apply goes on while the center is slow or down; gives up when no chunk has come for
    /// <paramref name="timeout"/> (the caller asks again).
    /// </summary>
    /// <param name="initialLoad">The first load of an empty replica: not counted as a resync, never delayed.</param>
    public async Task<ConfigSnapshot> FetchAsync(string reason, bool initialLoad, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!initialLoad)
        {
            await guard.BeforeResyncAsync(reason, cancellationToken);
        }
        var snapshotId = NewId.NextGuid();
        var chunks = Channel.CreateUnbounded<ConfigSnapshotChunk>();
        var handle = bus.ConnectHandler<ConfigSnapshotChunk>(context =>
        {
            if (context.Message.SnapshotId == snapshotId)
            {
                chunks.Writer.TryWrite(context.Message);
            }
            return Task.CompletedTask;
        });
        try
        {
            var requests = await bus.GetSendEndpoint(new Uri($"exchange:{Topology.Central.ConfigSnapshotRequestExchange}"));
            await requests.Send(new ConfigSnapshotRequested(settings.Site, reason, snapshotId), context => context.ResponseAddress = bus.Address,
                cancellationToken);
            return await CollectAsync(snapshotId, chunks.Reader, timeout, cancellationToken);
        }
        finally
        {
            handle.Disconnect();
        }
    }

    /// <summary>Gathers the chunks (the bus endpoint hands them over concurrently, so in any order) and joins them by index.</summary>
    private static async Task<ConfigSnapshot> CollectAsync(Guid snapshotId, ChannelReader<ConfigSnapshotChunk> chunks, TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        var received = new SortedDictionary<int, ConfigSnapshotChunk>();
        ConfigSnapshotChunk? last = null;
        while (last is null || received.Count <= last.Index)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            ConfigSnapshotChunk chunk;
            try
            {
                chunk = await chunks.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Configuration snapshot {snapshotId}: no chunk from the central controller for {timeout} (had {received.Count}).");
            }
            if (!received.TryAdd(chunk.Index, chunk) || (last is not null && chunk.Index > last.Index) || (chunk.Last && received.Keys.Max() > chunk.Index))
            {
                throw new InvalidDataException($"Configuration snapshot {snapshotId}: chunk {chunk.Index} came twice or after the last one.");
            }
            last = chunk.Last ? chunk : last;
        }

        var rows = ConfigTables.All.ToDictionary(t => t.Name, _ => new List<JsonElement>());
        foreach (var table in received.Values.SelectMany(c => c.Tables))
        {
            if (!rows.TryGetValue(table.Table, out var list))
            {
                throw new InvalidDataException($"Configuration snapshot {snapshotId}: unknown table '{table.Table}'.");
            }
            list.AddRange(table.Rows);
        }
        var snapshot = new ConfigSnapshot(last.Watermark, rows);
        if (snapshot.TotalRows != last.TotalRows || received.Values.Any(c => c.Watermark != last.Watermark))
        {
            throw new InvalidDataException($"Configuration snapshot {snapshotId}: {snapshot.TotalRows} rows came, {last.TotalRows} were sent.");
        }
        return snapshot;
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
                new NpgsqlBatchCommand(sql.TruncateAllSql),
            },
        })
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var (name, type) in ConfigTables.All)
        {
            await sql.CopyAsync(connection, type, snapshot.Rows[name].Select(r => (ConfigRow)r.Deserialize(type, Json.Options)!), cancellationToken);
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
