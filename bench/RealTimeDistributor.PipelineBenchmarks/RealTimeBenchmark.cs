using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NpgsqlTypes;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.RealTime;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Real-time rows into the replica: the distributor's bulk upsert, against binary COPY of the same rows (the raw database)
/// and the naive way (one EF SaveChanges per row); and end to end, central publish to a client's view (replica commit and
/// site publish between), with the site stream's messages of up to 1,000 rows and, for comparison, of one row each; and
/// that end to end again with the site's real-time queue at the center quorum (the product's) and classic (the baseline).
/// </summary>
public static class RealTimeBenchmark
{
    public const int NaiveRows = 2_000;

    /// <summary>The raw database: the same rows, binary COPY into the replica's own table (same primary key, fresh keys).</summary>
    private const string CopyBaseline = "raw database: binary COPY into realtime_row";

    /// <summary>For reference: binary COPY into a temporary table of the same columns and no index (heap only, no WAL).</summary>
    private const string BareCopyBaseline = "binary COPY into a temporary table without index";

    public static async Task RunAsync(Report report, int[] sizes, int rounds)
    {
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("bench");
        var (distributor, client, view) = await StartSiteAsync(system, site, Topology.Site.RealTimeRowsPerMessage);
        var connectionString = TestSettings.ConnectionString(system.ReplicaDatabase(site));
        var copies = new Dictionary<int, double>(); // each size's COPY into realtime_row, rows/s (the goal's baseline, issue 22)
        // every end to end before the bulk upsert rounds below: those commit site sequences the distributor does not
        // publish, so its next message links past them and the client reloads a snapshot (whose rows raise no change)
        foreach (var size in sizes)
        {
            Console.WriteLine($"real-time: {size:N0} rows");
            var endToEnd = await EndToEndAsync(system, view, Rows($"p{size}-", size), distributor);
            report.Add($"real-time rows ({size:N0})", EndToEnd(Topology.Site.RealTimeRowsPerMessage), size / endToEnd.TotalSeconds, "rows/s", CopyBaseline);
        }
        foreach (var size in sizes)
        {
            var group = $"real-time rows ({size:N0})";
            // the bulk upsert and its COPY baselines alternate, a few rounds of fresh keys, and each figure is the median
            // round: on 2 cores shared with the broker, one round alone swings by a third
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            // commits are fenced by the site lease: the running distributor's
            var lease = distributor.Services.GetRequiredService<SiteLease>();
            var grant = (await lease.WaitAsync(CancellationToken.None)).Grant;
            var applier = new RealTimeApplier(dataSource, new DistributorSettings(site, "bench"), new DistributorStats(), TimeProvider.System);
            List<TimeSpan> bulkRounds = [], updateRounds = [], copyRounds = [], bareCopyRounds = [];
            var shapeRounds = Shapes.Select(_ => (New: new List<TimeSpan>(), There: new List<TimeSpan>())).ToArray();
            await CreateStorageBeforeAsync(dataSource);
            for (var round = 0; round < rounds; round++)
            {
                Console.WriteLine($"real-time: {size:N0} rows, bulk upsert, COPY and upsert shapes, round {round + 1}");
                await ShapesRoundAsync(dataSource, size, round, shapeRounds);
                var bulkRows = Rows($"b{size}-{round}-", size);
                bulkRounds.Add(await Report.TimeAsync(() => BulkAsync(applier, grant, bulkRows)));
                updateRounds.Add(await Report.TimeAsync(() => BulkAsync(applier, grant, [.. bulkRows.Select(r => r with { Version = r.Version + size })])));
                copyRounds.Add(await Report.TimeAsync(() => CopyAsync(connectionString, "realtime_row", Rows($"c{size}-{round}-", size))));
                bareCopyRounds.Add(await Report.TimeAsync(() => CopyAsync(connectionString, "copy_bench", Rows($"t{size}-{round}-", size))));
            }
            var bulk = Median(bulkRounds);
            var rounded = rounds == 1 ? "" : $", median of {rounds} rounds";
            report.Add(group, $"distributor bulk upsert, new keys (unnest, messages of 500 rows, 10,000 rows/transaction{rounded})", size / bulk.TotalSeconds,
                "rows/s", CopyBaseline);
            report.Add(group, "distributor bulk upsert, new keys, vs COPY into a bare table", size / bulk.TotalSeconds, "rows/s", BareCopyBaseline);
            report.Add(group, $"distributor bulk upsert, every key there already (newer versions{rounded})", size / Median(updateRounds).TotalSeconds,
                "rows/s", CopyBaseline);
            copies[size] = size / Median(copyRounds).TotalSeconds;
            report.Add(group, CopyBaseline, copies[size], "rows/s");
            report.Add(group, BareCopyBaseline, size / Median(bareCopyRounds).TotalSeconds, "rows/s");
            AddShapes(report, group, rounded, shapeRounds, size);

            var naiveRows = Rows($"n{size}-", Math.Min(size, NaiveRows));
            var naive = await Report.TimeAsync(() => NaiveAsync(connectionString, naiveRows));
            report.Add(group, $"naive: one EF SaveChanges per row ({naiveRows.Count:N0} rows)", naiveRows.Count / naive.TotalSeconds, "rows/s");
            report.Add(group, "distributor bulk upsert vs naive", size / bulk.TotalSeconds, "rows/s", $"naive: one EF SaveChanges per row ({naiveRows.Count:N0} rows)");
        }
        await system.StopAsync(client);
        await system.StopAsync(distributor);

        // the shape before wire format 2, one row per site message, on a site of its own (started now, so it did not
        // receive the rows above); its ratios are to the COPY measured above, in this run
        var perRow = system.Site("bench1");
        (distributor, client, view) = await StartSiteAsync(system, perRow, 1);
        foreach (var size in sizes)
        {
            Console.WriteLine($"real-time: {size:N0} rows, one row per site message");
            var endToEnd = await EndToEndAsync(system, view, Rows($"q{size}-", size), distributor);
            report.Add($"real-time rows ({size:N0})", EndToEnd(1), size / endToEnd.TotalSeconds, "rows/s", CopyBaseline);
        }
        await system.StopAsync(client);
        await system.StopAsync(distributor);

        // the site's real-time queue at the center is a quorum queue (issue 14); the same end to end on a classic one
        // (Distributor:QuorumRealTimeQueue=false) is its baseline. Each type on a site of its own, classic first, the
        // queues of the sites before deleted so that no other queue takes copies of the rows; a few rounds of fresh keys
        // each (the median round), as one round alone swings by a third on 2 shared cores
        foreach (var stopped in new[] { site, perRow })
        {
            await system.Broker.DeleteQueueAsync(system.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(stopped));
        }
        var typeRounds = Math.Max(rounds, 3);
        var byType = new Dictionary<bool, Dictionary<int, TimeSpan>>();
        foreach (var quorum in new[] { false, true })
        {
            var typed = system.Site(quorum ? "benchq" : "benchc");
            (distributor, client, view) = await StartSiteAsync(system, typed, Topology.Site.RealTimeRowsPerMessage, quorum);
            var declared = (await system.Broker.QueueAsync(system.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(typed)))?.Arguments
                ?.GetValueOrDefault("x-queue-type")?.ToString() ?? "classic";
            if (declared != (quorum ? "quorum" : "classic"))
            {
                throw new InvalidOperationException($"the real-time queue of {typed} is {declared}, not {QueueType(quorum)}");
            }
            byType[quorum] = [];
            foreach (var size in sizes)
            {
                Console.WriteLine($"real-time: {size:N0} rows, {QueueType(quorum)}, {typeRounds} rounds");
                List<TimeSpan> times = [];
                for (var round = 0; round < typeRounds; round++)
                {
                    times.Add(await EndToEndAsync(system, view, Rows($"{(quorum ? "qq" : "cq")}{size}-{round}-", size), distributor));
                }
                byType[quorum][size] = Median(times);
            }
            await system.StopAsync(client);
            await system.StopAsync(distributor);
            await system.Broker.DeleteQueueAsync(system.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(typed));
        }
        foreach (var size in sizes)
        {
            var group = $"real-time queue at the center, quorum or classic ({size:N0} rows)";
            var classic = $"{EndToEnd(Topology.Site.RealTimeRowsPerMessage)}, {QueueType(false)} (median of {typeRounds} rounds)";
            report.Add(group, classic, size / byType[false][size].TotalSeconds, "rows/s");
            var quorum = $"{EndToEnd(Topology.Site.RealTimeRowsPerMessage)}, {QueueType(true)} (median of {typeRounds} rounds)";
            report.Add(group, quorum, size / byType[true][size].TotalSeconds, "rows/s", classic);
            // the goal of issue 22 (>= 0.5 x COPY), its baseline repeated from the group above so that the ratio is in the report
            var copy = $"{CopyBaseline} (as measured above)";
            report.Add(group, copy, copies[size], "rows/s");
            report.Add(group, $"{quorum}, against COPY", size / byType[true][size].TotalSeconds, "rows/s", copy);
        }
    }

    /// <summary>
    /// The upsert's shapes and the replica's storage, side by side against the same COPY (issue 22): each shape writes
    /// transactions of <see cref="RealTimeIntake.MaxRows"/> rows of a table name of its own (<see cref="ShapeTable"/>),
    /// first new keys, then the same keys at newer versions (the steady state); its rows are deleted and the table
    /// vacuumed after each, so every shape meets the same table. "Before" is the storage before issue 22 (data jsonb,
    /// fillfactor 100) in a table of its own, <c>realtime_row_before</c>; <c>realtime_row_jsonb</c> is the storage before
    /// data became json (fillfactor 50, data jsonb).
    /// </summary>
    private static readonly (string Name, string Table, Shape Apply)[] Shapes =
    [
        ("before issue 22: upsert + RETURNING joined to the incoming rows and to the replica's versions; fillfactor 100", "realtime_row_before", JoinedAsync),
        ("upsert RETURNING key; fillfactor 100, data jsonb (the storage before)", "realtime_row_before", UnnestJsonbAsync),
        ("upsert RETURNING key; fillfactor 50, data jsonb (the product's until data became json)", "realtime_row_jsonb", UnnestJsonbAsync),
        ("upsert RETURNING key (the product's: fillfactor 50, data json, numbers checked before)", "realtime_row", UnnestAsync),
        ("binary COPY into a temporary table (ON COMMIT DROP), then one upsert from it RETURNING key", "realtime_row", CopyThenUpsertAsync),
        ("UPDATE ... FROM unnest for the keys present, then INSERT of the new keys", "realtime_row", UpdateThenInsertAsync),
    ];

    /// <summary>Beside the replica's own table (data json): the storage before issue 22 (fillfactor 100, jsonb), and data jsonb at fillfactor 50.</summary>
    private static async Task CreateStorageBeforeAsync(NpgsqlDataSource dataSource)
    {
        await using var create = dataSource.CreateCommand("""
            CREATE UNLOGGED TABLE IF NOT EXISTS realtime_row_before (LIKE realtime_row INCLUDING ALL) WITH (fillfactor = 100);
            ALTER TABLE realtime_row_before ALTER COLUMN data TYPE jsonb;
            CREATE UNLOGGED TABLE IF NOT EXISTS realtime_row_jsonb (LIKE realtime_row INCLUDING ALL) WITH (fillfactor = 50);
            ALTER TABLE realtime_row_jsonb ALTER COLUMN data TYPE jsonb;
            """);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// One round of every shape (issue 22): transactions of <see cref="RealTimeIntake.MaxRows"/> rows under a table name of
    /// their own (<see cref="ShapeTable"/>), first new keys, then the same keys at newer versions (the steady state); the
    /// rows are deleted and the table vacuumed after each shape, so every shape meets the same table.
    /// </summary>
    private static async Task ShapesRoundAsync(NpgsqlDataSource dataSource, int size, int round, (List<TimeSpan> New, List<TimeSpan> There)[] times)
    {
        for (var i = 0; i < Shapes.Length; i++)
        {
            var (_, table, apply) = Shapes[i];
            var rows = Rows($"s{i}-{round}-", size);
            times[i].New.Add(await Report.TimeAsync(() => InTransactionsAsync(dataSource, table, rows, apply)));
            times[i].There.Add(await Report.TimeAsync(() => InTransactionsAsync(dataSource, table, [.. rows.Select(r => r with { Version = r.Version + size })], apply)));
            await using var clean = dataSource.CreateCommand($"DELETE FROM {table} WHERE table_name = '{ShapeTable}'");
            await clean.ExecuteNonQueryAsync();
            await using var vacuum = dataSource.CreateCommand($"VACUUM {table}");
            await vacuum.ExecuteNonQueryAsync();
        }
    }

    private static void AddShapes(Report report, string group, string rounded, (List<TimeSpan> New, List<TimeSpan> There)[] times, int size)
    {
        var before = $"upsert shape: {Shapes[0].Name}, every key there (newer versions)";
        for (var i = 0; i < Shapes.Length; i++)
        {
            report.Add(group, $"upsert shape: {Shapes[i].Name}, new keys{rounded}", size / Median(times[i].New).TotalSeconds, "rows/s", CopyBaseline);
            var there = $"upsert shape: {Shapes[i].Name}, every key there (newer versions)";
            report.Add(group, there, size / Median(times[i].There).TotalSeconds, "rows/s", CopyBaseline);
            if (i > 0)
            {
                report.Add(group, $"{there}, against before", size / Median(times[i].There).TotalSeconds, "rows/s", before);
            }
        }
    }

    /// <summary>The table name the shapes write under (no real-time table: the distributor never touches these rows).</summary>
    private const string ShapeTable = "bench-shape";

    private delegate Task Shape(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RealTimeRow[] rows);

    /// <summary>As the applier runs: transactions of up to MaxRows rows, each committed without waiting for the flush.</summary>
    private static async Task InTransactionsAsync(NpgsqlDataSource dataSource, string table, List<RealTimeRow> rows, Shape apply)
    {
        foreach (var chunk in rows.Chunk(RealTimeIntake.MaxRows))
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var asynchronous = new NpgsqlCommand(ReplicaCommit.Asynchronous, connection, transaction))
            {
                await asynchronous.ExecuteNonQueryAsync();
            }
            await apply(connection, transaction, table, chunk);
            await transaction.CommitAsync();
        }
    }

    private static NpgsqlCommand Unnested(string sql, NpgsqlConnection connection, NpgsqlTransaction transaction, RealTimeRow[] rows)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("table", ShapeTable);
        command.Parameters.AddWithValue("keys", rows.Select(r => r.Key).ToArray());
        command.Parameters.AddWithValue("versions", rows.Select(r => r.Version).ToArray());
        command.Parameters.Add(new NpgsqlParameter("updated", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { Value = rows.Select(r => r.UpdatedAt.UtcDateTime).ToArray() });
        command.Parameters.AddWithValue("data", rows.Select(r => r.Data.GetRawText()).ToArray());
        return command;
    }

    /// <summary>Reads every row a command returns (as the applier reads the keys written).</summary>
    private static async Task<int> ReadAllAsync(NpgsqlCommand command)
    {
        var count = 0;
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            count++;
        }
        return count;
    }

    private static async Task UnnestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RealTimeRow[] rows)
    {
        await using var command = Unnested(RealTimeApplier.UpsertSql.Replace("realtime_row", table, StringComparison.Ordinal), connection, transaction, rows);
        await ReadAllAsync(command);
    }

    private static async Task UnnestJsonbAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RealTimeRow[] rows)
    {
        var sql = RealTimeApplier.UpsertSql.Replace("realtime_row", table, StringComparison.Ordinal).Replace("::json", "::jsonb", StringComparison.Ordinal);
        await using var command = Unnested(sql, connection, transaction, rows);
        await ReadAllAsync(command);
    }

    /// <summary>The applier's statement before issue 22: the upsert's RETURNING joined to the incoming rows and to the table as it was.</summary>
    private static async Task JoinedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RealTimeRow[] rows)
    {
        await using var command = Unnested($"""
            WITH incoming AS (
                SELECT r.key, r.version, r.updated_at, r.data
                FROM unnest(@keys, @versions, @updated, @data) AS r(key, version, updated_at, data)),
            written AS (
                INSERT INTO {table} (table_name, key, version, central_updated_at, data, applied_at)
                SELECT @table, i.key, i.version, i.updated_at, i.data::jsonb, now() FROM incoming i
                ON CONFLICT (table_name, key) DO UPDATE
                    SET version = excluded.version, central_updated_at = excluded.central_updated_at, data = excluded.data, applied_at = excluded.applied_at
                    WHERE excluded.version > {table}.version
                RETURNING key)
            SELECT i.key, w.key IS NOT NULL, h.version IS NOT DISTINCT FROM i.version
            FROM incoming i
            LEFT JOIN written w ON w.key = i.key
            LEFT JOIN {table} h ON h.table_name = @table AND h.key = i.key
            """, connection, transaction, rows);
        await ReadAllAsync(command);
    }

    private static async Task CopyThenUpsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RealTimeRow[] rows)
    {
        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE incoming (key text, version bigint, updated_at timestamptz, data text) ON COMMIT DROP", connection, transaction))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var writer = await connection.BeginBinaryImportAsync("COPY incoming (key, version, updated_at, data) FROM STDIN (FORMAT BINARY)"))
        {
            foreach (var row in rows)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(row.Key, NpgsqlDbType.Text);
                await writer.WriteAsync(row.Version, NpgsqlDbType.Bigint);
                await writer.WriteAsync(row.UpdatedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
                await writer.WriteAsync(row.Data.GetRawText(), NpgsqlDbType.Text);
            }
            await writer.CompleteAsync();
        }
        await using var upsert = new NpgsqlCommand($"""
            INSERT INTO {table} (table_name, key, version, central_updated_at, data, applied_at)
            SELECT @table, i.key, i.version, i.updated_at, i.data::json, now() FROM incoming i
            ON CONFLICT (table_name, key) DO UPDATE
                SET version = excluded.version, central_updated_at = excluded.central_updated_at, data = excluded.data, applied_at = excluded.applied_at
                WHERE excluded.version > {table}.version
            RETURNING key
            """, connection, transaction);
        upsert.Parameters.AddWithValue("table", ShapeTable);
        await ReadAllAsync(upsert);
    }

    private static async Task UpdateThenInsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RealTimeRow[] rows)
    {
        await using (var update = Unnested($"""
            UPDATE {table} h SET version = r.version, central_updated_at = r.updated_at, data = r.data::json, applied_at = now()
            FROM unnest(@keys, @versions, @updated, @data) AS r(key, version, updated_at, data)
            WHERE h.table_name = @table AND h.key = r.key AND r.version > h.version
            RETURNING h.key
            """, connection, transaction, rows))
        {
            await ReadAllAsync(update);
        }
        await using var insert = Unnested($"""
            INSERT INTO {table} (table_name, key, version, central_updated_at, data, applied_at)
            SELECT @table, r.key, r.version, r.updated_at, r.data::json, now()
            FROM unnest(@keys, @versions, @updated, @data) AS r(key, version, updated_at, data)
            WHERE NOT EXISTS (SELECT 1 FROM {table} h WHERE h.table_name = @table AND h.key = r.key)
            ON CONFLICT DO NOTHING
            RETURNING key
            """, connection, transaction, rows);
        await ReadAllAsync(insert);
    }

    private static string QueueType(bool quorum) => quorum ? "quorum real-time queue (the product's)" : "classic real-time queue";

    private static string EndToEnd(int rowsPerMessage) =>
        $"end to end: central publish -> replica + site publish ({rowsPerMessage:N0} rows/message) -> client view";

    private static async Task<(WebApplication Distributor, WebApplication Client, ClientView View)> StartSiteAsync(RtdSystem system, string site, int rowsPerMessage,
        bool quorum = true)
    {
        var quiet = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" };
        var distributor = await system.StartDistributorAsync(site, extra: new(quiet)
        {
            ["Distributor:RealTimeRowsPerMessage"] = rowsPerMessage.ToString(CultureInfo.InvariantCulture),
            ["Distributor:QuorumRealTimeQueue"] = quorum ? "true" : "false",
        });
        var client = await system.StartClientAsync(site, "bench", quiet);
        var view = client.Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));
        return (distributor, client, view);
    }

    /// <summary>
    /// Central publish (the feed's path, <see cref="RealTimePublisher"/>) until a client bound "#" holds every row in its
    /// view (its Changed event, raised under the view's lock, so the set needs no lock of its own): the distributor's apply,
    /// commit and site publish lie between.
    /// </summary>
    private static async Task<TimeSpan> EndToEndAsync(RtdSystem system, ClientView view, List<RealTimeRow> rows, WebApplication distributor)
    {
        var stats = distributor.Services.GetRequiredService<DistributorStats>();
        var before = stats.Pipeline;
        var wanted = rows.Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(ViewRow row)
        {
            if (row.Kind == SiteUpdate.RealTimeKind && wanted.Remove(row.Key) && wanted.Count == 0)
            {
                all.TrySetResult();
            }
        }
        var gaps = view.Gaps;
        view.Changed += OnChanged;
        try
        {
            var published = TimeSpan.Zero;
            var total = await Report.TimeAsync(async () =>
            {
                var watch = Stopwatch.StartNew();
                await system.Central.Services.GetRequiredService<RealTimePublisher>().PublishAsync(RealTimeTables.Agent, rows, false, CancellationToken.None);
                published = watch.Elapsed;
                await all.Task.WaitAsync(TimeSpan.FromMinutes(10));
            });
            // where the time goes: the central publish (confirmed) overlaps the distributor's apply, the rest is after it
            Console.WriteLine($"  central publish confirmed after {published.TotalMilliseconds:N0} ms, the client view complete after {total.TotalMilliseconds:N0} ms");
            // the distributor's share: its transactions, and its site stream's time summed over batches (overlapping)
            var after = stats.Pipeline;
            var batches = Math.Max(1, after.RealTimeBatches - before.RealTimeBatches);
            Console.WriteLine($"  distributor: {after.RealTimeBatches - before.RealTimeBatches} transactions of {(after.RealTimeMessages - before.RealTimeMessages) / (double)batches:N1} "
                + $"central messages; apply + commit {after.ApplyMs - before.ApplyMs:N0} ms, waiting for the publish turn {after.PublishTurnWaitMs - before.PublishTurnWaitMs:N0} ms, "
                + $"site publish + confirms {after.PublishMs - before.PublishMs:N0} ms");
            return total;
        }
        finally
        {
            view.Changed -= OnChanged;
            if (view.Gaps != gaps)
            {
                Console.WriteLine($"  the client saw {view.Gaps - gaps} gaps and reloaded: the figure includes its snapshots");
            }
        }
    }


    /// <summary>As <see cref="RealTimeIntake"/> applies a backlog: the messages waiting (500 rows each), up to MaxRows rows a transaction.</summary>
    private static async Task BulkAsync(RealTimeApplier applier, LeaseGrant grant, List<RealTimeRow> rows)
    {
        var messages = rows.Chunk(RealTimePublisher.MaxRowsPerMessage)
            .Select(chunk => new RealTimeRowsPublished(RealTimeTables.Agent, false, DateTimeOffset.UtcNow, chunk)).ToList();
        foreach (var transaction in messages.Chunk(RealTimeIntake.MaxRows / RealTimePublisher.MaxRowsPerMessage))
        {
            await applier.ApplyAsync(transaction, grant, CancellationToken.None);
        }
    }

    private static TimeSpan Median(List<TimeSpan> rounds) => rounds.Order().ElementAt(rounds.Count / 2);

    /// <summary>Agent rows of about 250 bytes, keys {prefix}0..{count - 1}, versions from 1.</summary>
    public static List<RealTimeRow> Rows(string prefix, int count)
    {
        var now = DateTimeOffset.UtcNow;
        return [.. Enumerable.Range(0, count).Select(i => new RealTimeRow($"{prefix}{i}", 1 + i, now,
            Json.ToElement(new { state = "ready", reason = 0, secondsInState = i % 600, skillGroupId = 10 + i % 7 })))];
    }

    private static async Task CopyAsync(string connectionString, string table, List<RealTimeRow> rows)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE IF NOT EXISTS copy_bench (LIKE realtime_row)", connection))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using var writer = await connection.BeginBinaryImportAsync(
            $"COPY {table} (table_name, key, version, central_updated_at, data, applied_at) FROM STDIN (FORMAT BINARY)");
        var now = DateTime.UtcNow;
        foreach (var row in rows)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(RealTimeTables.Agent, NpgsqlDbType.Text);
            await writer.WriteAsync(row.Key, NpgsqlDbType.Text);
            await writer.WriteAsync(row.Version, NpgsqlDbType.Bigint);
            await writer.WriteAsync(row.UpdatedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
            await writer.WriteAsync(row.Data.GetRawText(), NpgsqlDbType.Json);
            await writer.WriteAsync(now, NpgsqlDbType.TimestampTz);
        }
        await writer.CompleteAsync();
    }

    private static async Task NaiveAsync(string connectionString, List<RealTimeRow> rows)
    {
        var options = new DbContextOptionsBuilder<ReplicaDbContext>().UseNpgsql(connectionString).Options;
        foreach (var row in rows)
        {
            await using var db = new ReplicaDbContext(options);
            var entity = await db.RealTimeRows.FindAsync(RealTimeTables.Agent, row.Key);
            if (entity is null)
            {
                db.RealTimeRows.Add(entity = new RealTimeRowEntity { TableName = RealTimeTables.Agent, Key = row.Key });
            }
            if (row.Version >= entity.Version)
            {
                entity.Version = row.Version;
                entity.CentralUpdatedAt = row.UpdatedAt;
                entity.Data = row.Data.GetRawText();
                entity.AppliedAt = DateTimeOffset.UtcNow;
            }
            await db.SaveChangesAsync();
        }
    }
}
