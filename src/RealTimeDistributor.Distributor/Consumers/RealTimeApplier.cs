using Npgsql;
using NpgsqlTypes;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>
/// Applies a batch of real-time rows with one bulk upsert (PostgreSQL unnest arrays). Rows are conflated per key to the
/// newest version first; an older version never overwrites a newer one (an equal one is rewritten, which is harmless and
/// lets a redelivered batch be republished). The rows written, their site sequences and the table state commit together.
/// </summary>
public sealed class RealTimeApplier(NpgsqlDataSource dataSource, DistributorSettings settings, DistributorStats stats, TimeProvider clock)
{
    private const string UpsertSql = """
        INSERT INTO realtime_row (table_name, key, version, central_updated_at, data, applied_at)
        SELECT @table, r.key, r.version, r.updated_at, r.data::jsonb, now()
        FROM unnest(@keys, @versions, @updated, @data) AS r(key, version, updated_at, data)
        ON CONFLICT (table_name, key) DO UPDATE
            SET version = excluded.version, central_updated_at = excluded.central_updated_at, data = excluded.data, applied_at = excluded.applied_at
            WHERE excluded.version >= realtime_row.version
        RETURNING key
        """;

    public static IReadOnlyList<RealTimeRow> Conflate(IEnumerable<RealTimeRow> rows) =>
        [.. rows.GroupBy(r => r.Key, StringComparer.Ordinal).Select(g => g.MaxBy(r => r.Version)!)];

    public async Task<IReadOnlyList<SiteUpdate>> ApplyAsync(RealTimeRowsPublished batch, CancellationToken cancellationToken)
    {
        Validate(batch);
        var rows = Conflate(batch.Rows);
        var byKey = rows.ToDictionary(r => r.Key, StringComparer.Ordinal);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var asynchronous = new NpgsqlCommand(ReplicaCommit.Asynchronous, connection, transaction))
        {
            await asynchronous.ExecuteNonQueryAsync(cancellationToken);
        }
        var written = new List<RealTimeRow>(rows.Count);
        await using (var upsert = new NpgsqlCommand(UpsertSql, connection, transaction))
        {
            upsert.Parameters.AddWithValue("table", batch.Table);
            upsert.Parameters.AddWithValue("keys", rows.Select(r => r.Key).ToArray());
            upsert.Parameters.AddWithValue("versions", rows.Select(r => r.Version).ToArray());
            upsert.Parameters.Add(new NpgsqlParameter("updated", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            {
                Value = rows.Select(r => r.UpdatedAt.UtcDateTime).ToArray(),
            });
            upsert.Parameters.AddWithValue("data", rows.Select(r => r.Data.GetRawText()).ToArray());
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                written.Add(byKey[reader.GetString(0)]);
            }
        }
        long lastSiteSequence;
        await using (var sequence = new NpgsqlCommand(
            "UPDATE sync_state SET site_sequence = site_sequence + @count WHERE site = @site RETURNING site_sequence", connection, transaction))
        {
            sequence.Parameters.AddWithValue("count", (long)written.Count);
            sequence.Parameters.AddWithValue("site", settings.Site);
            lastSiteSequence = (long)(await sequence.ExecuteScalarAsync(cancellationToken))!;
        }
        await using (var table = new NpgsqlCommand("""
            INSERT INTO realtime_table_state (table_name, last_update_at, last_full_refresh_at)
            VALUES (@table, now(), CASE WHEN @full THEN now() END)
            ON CONFLICT (table_name) DO UPDATE
                SET last_update_at = now(),
                    last_full_refresh_at = COALESCE(excluded.last_full_refresh_at, realtime_table_state.last_full_refresh_at)
            """, connection, transaction))
        {
            table.Parameters.AddWithValue("table", batch.Table);
            table.Parameters.AddWithValue("full", batch.FullRefresh);
            await table.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        stats.RealTimeApplied(written.Count, batch.Rows.Count - written.Count);

        var now = clock.GetUtcNow();
        var first = lastSiteSequence - written.Count + 1;
        return [.. written.Select((row, i) => new SiteUpdate(settings.Site, first + i, SiteUpdate.RealTimeKind, batch.Table, row.Key, null, row, now))];
    }

    private static void Validate(RealTimeRowsPublished batch)
    {
        if (!RealTimeTables.IsKnown(batch.Table))
        {
            throw new PoisonMessageException($"Unknown real-time table '{batch.Table}'.");
        }
        if (batch.Rows is null || batch.Rows.Count == 0)
        {
            throw new PoisonMessageException("The batch has no rows.");
        }
        foreach (var row in batch.Rows)
        {
            if (string.IsNullOrWhiteSpace(row.Key) || row.Key.Length > 64 || row.Version <= 0)
            {
                throw new PoisonMessageException($"Row '{row.Key}' version {row.Version} is out of range.");
            }
            if (row.Data.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                throw new PoisonMessageException($"Row '{row.Key}' data is not a JSON object.");
            }
        }
    }
}
