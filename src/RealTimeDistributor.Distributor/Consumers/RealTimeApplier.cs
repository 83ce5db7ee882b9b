using Npgsql;
using NpgsqlTypes;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>
/// Applies real-time batches with one bulk upsert (PostgreSQL unnest arrays), however many messages and tables they
/// hold. Rows are conflated per table and key to the newest version first; an older version never overwrites a newer one
/// (an equal one is rewritten, which is harmless and lets a redelivered batch be republished). The rows written, their
/// site sequences and the table states commit together.
/// </summary>
public sealed class RealTimeApplier(NpgsqlDataSource dataSource, DistributorSettings settings, DistributorStats stats, TimeProvider clock)
{
    private const string UpsertSql = """
        INSERT INTO realtime_row (table_name, key, version, central_updated_at, data, applied_at)
        SELECT r.table_name, r.key, r.version, r.updated_at, r.data::jsonb, now()
        FROM unnest(@tables, @keys, @versions, @updated, @data) AS r(table_name, key, version, updated_at, data)
        ON CONFLICT (table_name, key) DO UPDATE
            SET version = excluded.version, central_updated_at = excluded.central_updated_at, data = excluded.data, applied_at = excluded.applied_at
            WHERE excluded.version >= realtime_row.version
        RETURNING table_name, key
        """;

    private const string TableStateSql = """
        INSERT INTO realtime_table_state (table_name, last_update_at, last_full_refresh_at)
        SELECT t.table_name, now(), CASE WHEN t.full_refresh THEN now() END
        FROM unnest(@tables, @full) AS t(table_name, full_refresh)
        ON CONFLICT (table_name) DO UPDATE
            SET last_update_at = now(),
                last_full_refresh_at = COALESCE(excluded.last_full_refresh_at, realtime_table_state.last_full_refresh_at)
        """;

    public static IReadOnlyList<RealTimeRow> Conflate(IEnumerable<RealTimeRow> rows) =>
        [.. rows.GroupBy(r => r.Key, StringComparer.Ordinal).Select(g => g.MaxBy(r => r.Version)!)];

    /// <summary>
    /// Applies <paramref name="batches"/> in one transaction. <see cref="RealTimeIntake"/> has validated each on its own
    /// (so a bad one fails alone); they are checked again here for callers that come straight to the applier.
    /// </summary>
    public async Task<IReadOnlyList<SiteUpdate>> ApplyAsync(IReadOnlyList<RealTimeRowsPublished> batches, CancellationToken cancellationToken)
    {
        foreach (var batch in batches)
        {
            Validate(batch);
        }
        var rows = batches.GroupBy(b => b.Table, StringComparer.Ordinal)
            .SelectMany(table => Conflate(table.SelectMany(b => b.Rows)).Select(row => (Table: table.Key, Row: row)))
            .ToList();
        var byKey = rows.ToDictionary(r => (r.Table, r.Row.Key));
        var tables = batches.GroupBy(b => b.Table, StringComparer.Ordinal).Select(t => (Table: t.Key, Full: t.Any(b => b.FullRefresh))).ToList();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var asynchronous = new NpgsqlCommand(ReplicaCommit.Asynchronous, connection, transaction))
        {
            await asynchronous.ExecuteNonQueryAsync(cancellationToken);
        }
        var written = new List<(string Table, RealTimeRow Row)>(rows.Count);
        await using (var upsert = new NpgsqlCommand(UpsertSql, connection, transaction))
        {
            upsert.Parameters.AddWithValue("tables", rows.Select(r => r.Table).ToArray());
            upsert.Parameters.AddWithValue("keys", rows.Select(r => r.Row.Key).ToArray());
            upsert.Parameters.AddWithValue("versions", rows.Select(r => r.Row.Version).ToArray());
            upsert.Parameters.Add(new NpgsqlParameter("updated", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz)
            {
                Value = rows.Select(r => r.Row.UpdatedAt.UtcDateTime).ToArray(),
            });
            upsert.Parameters.AddWithValue("data", rows.Select(r => r.Row.Data.GetRawText()).ToArray());
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                written.Add(byKey[(reader.GetString(0), reader.GetString(1))]);
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
        await using (var state = new NpgsqlCommand(TableStateSql, connection, transaction))
        {
            state.Parameters.AddWithValue("tables", tables.Select(t => t.Table).ToArray());
            state.Parameters.AddWithValue("full", tables.Select(t => t.Full).ToArray());
            await state.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        stats.RealTimeApplied(written.Count, batches.Sum(b => b.Rows.Count) - written.Count);

        var now = clock.GetUtcNow();
        var first = lastSiteSequence - written.Count + 1;
        return [.. written.Select((w, i) => new SiteUpdate(settings.Site, first + i, SiteUpdate.RealTimeKind, w.Table, w.Row.Key, null, w.Row, now))];
    }

    /// <summary>Checks a batch can apply at all; one that cannot is poison (error queue, with the reason).</summary>
    public static void Validate(RealTimeRowsPublished batch)
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
