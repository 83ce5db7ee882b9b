using Npgsql;
using NpgsqlTypes;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// Applies real-time batches with one bulk upsert per table (PostgreSQL unnest arrays) in one transaction, however many
/// messages they hold. Rows are conflated per table and key to the newest version first; only a newer version than the
/// replica's is written and republished: an older one is stale, an equal one unchanged (the center changes a row's version
/// only when its values change), so a full refresh of rows the replica holds sends nothing but one
/// <see cref="HeartbeatUpdate"/> per table. Why no committed row is lost to that: docs/architecture.md, "Only changes on
/// the site stream". The rows written, their site sequences and the table states commit together.
/// </summary>
public sealed class RealTimeApplier(NpgsqlDataSource dataSource, DistributorSettings settings, DistributorStats stats, TimeProvider clock)
{
    /// <summary>
    /// One table's conflated rows, in one statement: returns the keys it wrote (new, or newer than the replica's). Nothing
    /// else is asked of it: reading the replica's versions back in the same statement (to tell unchanged rows from stale
    /// ones) cost 1.3-1.6 times the bare statement (docs/benchmarks.md, "Real-time apply: the upsert's shape"); that count is taken
    /// afterwards, and only for rows not written (<see cref="UnchangedSql"/>).
    /// </summary>
    public const string UpsertSql = """
        INSERT INTO realtime_row (table_name, key, version, central_updated_at, data, applied_at)
        SELECT @table, r.key, r.version, r.updated_at, r.data::json, now()
        FROM unnest(@keys, @versions, @updated, @data) AS r(key, version, updated_at, data)
        ON CONFLICT (table_name, key) DO UPDATE
            SET version = excluded.version, central_updated_at = excluded.central_updated_at, data = excluded.data, applied_at = excluded.applied_at
            WHERE excluded.version > realtime_row.version
        RETURNING key
        """;

    /// <summary>How many of the rows not written the replica holds at that very version (unchanged; the others are stale).</summary>
    private const string UnchangedSql = """
        SELECT count(*) FROM realtime_row h
        JOIN unnest(@keys, @versions) AS r(key, version) ON h.table_name = @table AND h.key = r.key AND h.version = r.version
        """;

    private const string CountSql = "SELECT table_name, count(*) FROM realtime_row WHERE table_name = ANY(@tables) GROUP BY table_name";

    private const string TableStateSql = """
        INSERT INTO realtime_table_state (table_name, last_update_at, last_full_refresh_at)
        SELECT t.table_name, now(), CASE WHEN t.full_refresh THEN now() END
        FROM unnest(@tables, @full) AS t(table_name, full_refresh)
        ON CONFLICT (table_name) DO UPDATE
            SET last_update_at = now(),
                last_full_refresh_at = COALESCE(excluded.last_full_refresh_at, realtime_table_state.last_full_refresh_at)
        """;

    public static IReadOnlyList<RealTimeRow> Conflate(IEnumerable<RealTimeRow> rows) => [.. NewestByKey(rows).Values];

    /// <summary>The newest version of each key (the first one seen among equal versions), in one pass.</summary>
    private static Dictionary<string, RealTimeRow> NewestByKey(IEnumerable<RealTimeRow> rows)
    {
        var newest = new Dictionary<string, RealTimeRow>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            if (!newest.TryGetValue(row.Key, out var kept) || row.Version > kept.Version)
            {
                newest[row.Key] = row;
            }
        }
        return newest;
    }

    /// <summary>One table's conflated rows, and the statement's parameter arrays of them (in the same order).</summary>
    internal sealed class TableRows
    {
        public TableRows(string table, bool fullRefresh, Dictionary<string, RealTimeRow> rows)
        {
            Table = table;
            FullRefresh = fullRefresh;
            Rows = rows;
            Keys = new string[rows.Count];
            Versions = new long[rows.Count];
            Updated = new DateTime[rows.Count];
            Data = new string[rows.Count];
            var i = 0;
            foreach (var row in rows.Values)
            {
                Keys[i] = row.Key;
                Versions[i] = row.Version;
                Updated[i] = row.UpdatedAt.UtcDateTime;
                Data[i] = row.Data.GetRawText();
                i++;
            }
        }

        public string Table { get; }

        public bool FullRefresh { get; }

        public Dictionary<string, RealTimeRow> Rows { get; }

        public string[] Keys { get; }

        public long[] Versions { get; }

        public DateTime[] Updated { get; }

        public string[] Data { get; }
    }

    /// <summary>
    /// Real-time messages made ready to apply together: conflated per table and key, and the statement's parameters
    /// written. <see cref="RealTimeIntake"/> prepares a batch while the one before it holds the site stream's apply lock.
    /// </summary>
    public sealed class Prepared
    {
        internal Prepared(IReadOnlyList<RealTimeRowsPublished> batches)
        {
            Rows = batches.Sum(b => b.Rows.Count);
            Tables = [.. batches.GroupBy(b => b.Table, StringComparer.Ordinal)
                .Select(t => new TableRows(t.Key, t.Any(b => b.FullRefresh), NewestByKey(t.SelectMany(b => b.Rows))))];
        }

        /// <summary>The rows of the messages, before conflation.</summary>
        internal int Rows { get; }

        internal IReadOnlyList<TableRows> Tables { get; }
    }

    /// <summary>Conflates <paramref name="batches"/> and writes the statement's parameters (no database work).</summary>
    public static Prepared Prepare(IReadOnlyList<RealTimeRowsPublished> batches) => new(batches);

    /// <summary>
    /// Applies <paramref name="batches"/> in one transaction. Each has passed <see cref="Validate"/> on its way in
    /// (<see cref="RealTimeIntake.SubmitAsync"/>, so a bad one fails alone and is not checked twice on the hot path).
    /// </summary>
    /// <param name="grant">The site lease the commit is fenced with, as <see cref="SiteStream"/> checked it for the batch.</param>
    public Task<IReadOnlyList<SiteUpdate>> ApplyAsync(IReadOnlyList<RealTimeRowsPublished> batches, LeaseGrant grant, CancellationToken cancellationToken) =>
        ApplyAsync(Prepare(batches), grant, cancellationToken);

    /// <summary>Applies the messages <paramref name="prepared"/> holds in one transaction (see the overload taking the messages).</summary>
    public async Task<IReadOnlyList<SiteUpdate>> ApplyAsync(Prepared prepared, LeaseGrant grant, CancellationToken cancellationToken)
    {
        var tables = prepared.Tables;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var asynchronous = new NpgsqlCommand(ReplicaCommit.Asynchronous, connection, transaction))
        {
            await asynchronous.ExecuteNonQueryAsync(cancellationToken);
        }
        var written = new List<(string Table, RealTimeRow Row)>(tables.Sum(t => t.Rows.Count));
        var unchanged = 0;
        foreach (var table in tables)
        {
            unchanged += await UpsertAsync(connection, transaction, table, written, cancellationToken);
        }
        var refreshed = await CountRowsAsync(connection, transaction, [.. tables.Where(t => t.FullRefresh).Select(t => t.Table)], cancellationToken);
        long lastSiteSequence;
        // fenced: under another process's newer epoch the row is not found and nothing commits
        await using (var sequence = new NpgsqlCommand(
            $"UPDATE sync_state SET site_sequence = site_sequence + $3 WHERE {SiteLease.FenceSql} RETURNING site_sequence", connection, transaction))
        {
            sequence.Parameters.Add(new NpgsqlParameter<string> { TypedValue = settings.Site });
            sequence.Parameters.Add(new NpgsqlParameter<long> { TypedValue = grant.Epoch });
            sequence.Parameters.Add(new NpgsqlParameter<long> { TypedValue = written.Count });
            if (await sequence.ExecuteScalarAsync(cancellationToken) is not long last)
            {
                throw new EpochRefusedException(settings.Site, grant);
            }
            lastSiteSequence = last;
        }
        await using (var state = new NpgsqlCommand(TableStateSql, connection, transaction))
        {
            state.Parameters.AddWithValue("tables", tables.Select(t => t.Table).ToArray());
            state.Parameters.AddWithValue("full", tables.Select(t => t.FullRefresh).ToArray());
            await state.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        stats.RealTimeApplied(written.Count, unchanged, prepared.Rows - written.Count - unchanged);
        stats.Heartbeats(refreshed.Count);

        var now = clock.GetUtcNow();
        // the chain head of each heartbeat is filled in by the site stream, which hands the links out (SiteStream.Chain)
        IEnumerable<SiteUpdate> heartbeats = refreshed.Select(t => new HeartbeatUpdate(settings.Site, t.Table, 0, t.Rows, now));
        return [.. ToSiteUpdates(settings.Site, written, lastSiteSequence - written.Count + 1, now, settings.RealTimeRowsPerMessage)
            .Concat(heartbeats)
            .Select(u => u with { Epoch = grant.Epoch, StreamId = grant.StreamId })];
    }

    /// <summary>The replica's row count of each of <paramref name="tables"/> (0 for one it has no row of), in their order.</summary>
    private static async Task<IReadOnlyList<(string Table, long Rows)>> CountRowsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        string[] tables, CancellationToken cancellationToken)
    {
        if (tables.Length == 0)
        {
            return [];
        }
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(CountSql, connection, transaction);
        command.Parameters.AddWithValue("tables", tables);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt64(1);
        }
        return [.. tables.Select(t => (t, counts.GetValueOrDefault(t)))];
    }

    /// <summary>
    /// The site messages of rows written in one transaction, in the order written, whose site sequences run from
    /// <paramref name="firstSiteSequence"/> on: one message per stretch of one table's rows, cut every
    /// <paramref name="rowsPerMessage"/> rows. A message's site sequence is its last row's.
    /// </summary>
    public static IReadOnlyList<RealTimeUpdate> ToSiteUpdates(string site, IReadOnlyList<(string Table, RealTimeRow Row)> written, long firstSiteSequence,
        DateTimeOffset now, int rowsPerMessage = Topology.Site.RealTimeRowsPerMessage)
    {
        var updates = new List<RealTimeUpdate>();
        var start = 0;
        while (start < written.Count)
        {
            var table = written[start].Table;
            var end = start + 1;
            while (end < written.Count && end - start < rowsPerMessage && written[end].Table == table)
            {
                end++;
            }
            var rows = new RealTimeRow[end - start];
            for (var i = start; i < end; i++)
            {
                rows[i - start] = written[i].Row;
            }
            updates.Add(new RealTimeUpdate(site, firstSiteSequence + end - 1, table, rows, now)
            {
                FirstSiteSequence = firstSiteSequence + start,
            });
            start = end;
        }
        return updates;
    }

    /// <summary>
    /// One table's rows in one statement; adds to <paramref name="written"/> the rows it wrote (newer than the replica's) and
    /// returns how many the replica held at that very version (unchanged: neither written nor republished).
    /// </summary>
    private static async Task<int> UpsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TableRows table,
        List<(string Table, RealTimeRow Row)> written, CancellationToken cancellationToken)
    {
        var count = table.Rows.Count;
        await using var upsert = new NpgsqlCommand(UpsertSql, connection, transaction);
        upsert.Parameters.AddWithValue("table", table.Table);
        upsert.Parameters.AddWithValue("keys", table.Keys);
        upsert.Parameters.AddWithValue("versions", table.Versions);
        upsert.Parameters.Add(new NpgsqlParameter("updated", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = table.Updated });
        upsert.Parameters.AddWithValue("data", table.Data);
        var wrote = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await upsert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = reader.GetString(0);
                wrote.Add(key);
                written.Add((table.Table, table.Rows[key]));
            }
        }
        if (wrote.Count == count)
        {
            return 0;
        }
        // the site has one writer (the lease holder, fenced), so the rows not written hold what they held before the upsert
        var notWritten = table.Rows.Values.Where(r => !wrote.Contains(r.Key)).ToList();
        await using var unchanged = new NpgsqlCommand(UnchangedSql, connection, transaction);
        unchanged.Parameters.AddWithValue("table", table.Table);
        unchanged.Parameters.AddWithValue("keys", notWritten.Select(r => r.Key).ToArray());
        unchanged.Parameters.AddWithValue("versions", notWritten.Select(r => r.Version).ToArray());
        return (int)(long)(await unchanged.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Checks a batch can apply at all; one that cannot is poison (error queue, with the reason): an unknown table, no
    /// rows, a key that is empty, longer than 64 or not storable text, data that is not a JSON object or holds text
    /// PostgreSQL refuses (<see cref="TextRules"/>) or a number its numeric cannot hold (<see cref="JsonNumbers"/>: the
    /// column is json, which checks syntax only), a version that is not positive or, like updatedAt, further ahead of
    /// <paramref name="now"/> than <paramref name="maxAhead"/> (versions are the center's clock in UTC ticks: a row from
    /// the far future would freeze its key at every site, every genuine update after it counted stale).
    /// </summary>
    public static void Validate(RealTimeRowsPublished batch, DateTimeOffset now, TimeSpan maxAhead)
    {
        if (!RealTimeTables.IsKnown(batch.Table))
        {
            throw new PoisonMessageException($"Unknown real-time table '{batch.Table}'.");
        }
        if (batch.Rows is null || batch.Rows.Count == 0)
        {
            throw new PoisonMessageException("The batch has no rows.");
        }
        var latest = now + maxAhead;
        foreach (var row in batch.Rows)
        {
            if (row is null || string.IsNullOrWhiteSpace(row.Key) || row.Key.Length > 64 || row.Version <= 0)
            {
                throw new PoisonMessageException($"Row '{row?.Key}' version {row?.Version} is out of range.");
            }
            if (TextRules.Problem(row.Key, "key") is { } key)
            {
                throw new PoisonMessageException($"Row '{Printable(row.Key)}': {key}");
            }
            if (row.Version > latest.UtcTicks || row.UpdatedAt > latest)
            {
                throw new PoisonMessageException($"Row '{row.Key}' version {row.Version} (updated at {row.UpdatedAt:O}) is more than {maxAhead} "
                    + $"ahead of this host's clock ({now:O}).");
            }
            if (row.Data.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                throw new PoisonMessageException($"Row '{row.Key}' data is not a JSON object.");
            }
            if (TextRules.Check(row.Data, "data", JsonNumbers.Check) is { } data)
            {
                throw new PoisonMessageException($"Row '{row.Key}': {data}");
            }
        }
    }

    /// <summary>A key as a reason can show it (NUL and lone surrogates escaped).</summary>
    private static string Printable(string text) =>
        string.Concat(text.Select(c => c == '\0' || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
