using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>The outcome of an edit, mapped to HTTP by the admin API.</summary>
public abstract record EditResult
{
    public sealed record Committed(long Sequence, object? Row) : EditResult;

    public sealed record NotFound(string Reason) : EditResult;

    public sealed record Invalid(string Reason) : EditResult;

    /// <summary>The edit named a version that is no longer current, or the row is still referenced.</summary>
    public sealed record Conflict(string Reason, long CurrentVersion) : EditResult;

    /// <summary>The edit changes or deletes an existing row without naming the version it read (and without force).</summary>
    public sealed record PreconditionRequired(string Reason, long CurrentVersion) : EditResult;
}

/// <summary>
/// Who edits (the admin key's name), from where (the remote address), and whether they edit without naming versions
/// (force: the last writer wins). Kept in the audit row of every change, in the change's own transaction.
/// </summary>
public sealed record EditAuthor(string Who, string? From, bool Force = false);

/// <summary>One change of a batch: <paramref name="Row"/> for an upsert, null for a delete.</summary>
public sealed record ConfigEdit(string Table, long Id, string Operation, JsonElement? Row, long? ExpectedVersion = null);

/// <summary>An edit of a batch that was refused, by its index in the batch.</summary>
public sealed record RefusedEdit(int Index, string Table, long Id, EditResult Result);

/// <summary>
/// A batch's outcome: committed (each edit's result, in order), or refused (nothing written) with every refused edit
/// found; a dry run validates everything and writes nothing.
/// </summary>
public sealed record BatchResult(IReadOnlyList<EditResult.Committed> Committed, IReadOnlyList<RefusedEdit> Refused);

/// <summary>
/// Commits configuration edits, one or a batch in one transaction, all or nothing. Each edit takes the next number of
/// the gapless sequence and appends a change-log row (the outbox the relay publishes). The counter row is taken last,
/// just before the commit and in the same round trip: first the touched rows are locked and checked, then the row
/// writes, the counter (one increment of N for a batch of N), the versions, the log rows and COMMIT go to the server
/// as one batch. Holding the counter from its increment to the commit keeps the sequence in commit order.
/// A database failover is ridden by <see cref="CommitRetry"/>: each call is one commit id, kept in the audit rows, by
/// which a commit whose answer was lost is found rather than made twice.
/// </summary>
public sealed class ConfigWriter(CentralDbContext db, ChangeLogSignal signal, CentralStats stats, TimeProvider clock, ILogger<ConfigWriter> logger)
{
    public const int MaxNameLength = 100;
    public const int MaxScriptLength = 64 * 1024;
    public const int MaxBatchSize = 10_000;

    /// <summary>A batch stops looking for more refusals after this many (the database finds them one at a time).</summary>
    public const int MaxRefusalsReported = 20;

    private const int Attempts = 3;

    public Task<EditResult> UpsertAsync(string table, long id, JsonElement body, long? expectedVersion, EditAuthor author, CancellationToken cancellationToken) =>
        EditAsync(new ConfigEdit(table, id, ConfigOperations.Upsert, body, expectedVersion), author, cancellationToken);

    public Task<EditResult> DeleteAsync(string table, long id, long? expectedVersion, EditAuthor author, CancellationToken cancellationToken) =>
        EditAsync(new ConfigEdit(table, id, ConfigOperations.Delete, null, expectedVersion), author, cancellationToken);

    private async Task<EditResult> EditAsync(ConfigEdit edit, EditAuthor author, CancellationToken cancellationToken)
    {
        var result = await ApplyAsync([edit], dryRun: false, author, cancellationToken);
        return result.Refused.Count > 0 ? result.Refused[0].Result : result.Committed[0];
    }

    /// <summary>
    /// Applies <paramref name="edits"/> in the order given, in one transaction. An upsert without an id (0) gets one from
    /// the center (<see cref="AssignIdsAsync"/>): that row must not exist when the transaction locks it, and if a
    /// concurrent edit took the id first, the batch is tried again with new ids.
    /// </summary>
    public async Task<BatchResult> ApplyAsync(IReadOnlyList<ConfigEdit> edits, bool dryRun, EditAuthor author, CancellationToken cancellationToken)
    {
        if (!edits.Any(NeedsId))
        {
            return await ApplyGivenAsync(edits, dryRun, author, cancellationToken);
        }
        for (var attempt = 1; ; attempt++)
        {
            var result = await ApplyGivenAsync(await AssignIdsAsync(edits, cancellationToken), dryRun, author, cancellationToken);
            if (attempt == Attempts || !result.Refused.Any(r => NeedsId(edits[r.Index]) && r.Result is EditResult.Conflict))
            {
                return result;
            }
        }
    }

    private static bool NeedsId(ConfigEdit edit) => edit.Id == 0 && edit.Operation == ConfigOperations.Upsert;

    /// <summary>
    /// Each upsert without an id gets the next free one of its table: one more than the highest id in the table or
    /// given in the batch, in the batch's order. It names version 0 (the row must not exist yet).
    /// </summary>
    private async Task<IReadOnlyList<ConfigEdit>> AssignIdsAsync(IReadOnlyList<ConfigEdit> edits, CancellationToken cancellationToken)
    {
        var next = new Dictionary<string, long>();
        foreach (var table in edits.Where(NeedsId).Select(e => e.Table).Distinct())
        {
            if (ConfigTables.TryFind(table, out var descriptor))
            {
                var sql = "SELECT coalesce(max(id), 0) AS \"Value\" FROM \"" + descriptor.Name + "\""; // a known table's name, not the caller's text
                var highest = await db.Database.SqlQueryRaw<long>(sql).SingleAsync(cancellationToken);
                next[table] = Math.Max(highest, edits.Where(e => e.Table == table).Max(e => e.Id)) + 1;
            }
        }
        var assigned = new List<ConfigEdit>(edits.Count);
        foreach (var edit in edits)
        {
            if (NeedsId(edit) && next.TryGetValue(edit.Table, out var id))
            {
                assigned.Add(edit with { Id = id, ExpectedVersion = 0 });
                next[edit.Table] = id + 1;
            }
            else
            {
                assigned.Add(edit);
            }
        }
        return assigned;
    }

    private async Task<BatchResult> ApplyGivenAsync(IReadOnlyList<ConfigEdit> edits, bool dryRun, EditAuthor author, CancellationToken cancellationToken)
    {
        var parsed = new Parsed[edits.Count];
        var refused = new List<RefusedEdit>();
        for (var i = 0; i < edits.Count; i++)
        {
            var (row, problem) = Parse(edits[i]);
            parsed[i] = row;
            if (problem is not null)
            {
                refused.Add(new RefusedEdit(i, edits[i].Table, edits[i].Id, problem));
            }
        }
        if (refused.Count == edits.Count)
        {
            return new BatchResult([], refused);
        }
        // the first hop of the edit's trace (RtdTracing), under the admin API's request span when that is traced
        using var span = dryRun ? null : RtdTracing.Source.StartActivity(RtdTracing.Hops.Commit);
        var commitId = Guid.NewGuid();
        return await new CommitRetry(logger).RunAsync(commitId, async ct =>
        {
            _commitSent = false;
            await db.Database.OpenConnectionAsync(ct);
            try
            {
                var connection = (NpgsqlConnection)db.Database.GetDbConnection();
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        var result = await TryApplyAsync(connection, edits, parsed, [.. refused], dryRun, author, commitId, ct);
                        span?.SetTag(RtdTracing.SequenceTag, result.Committed.LastOrDefault()?.Sequence);
                        return result;
                    }
                    catch (PostgresException exception) when (attempt < Attempts && exception.SqlState is PostgresErrorCodes.DeadlockDetected
                        or PostgresErrorCodes.SerializationFailure)
                    {
                        await RollbackAsync(connection);
                    }
                }
            }
            finally
            {
                await db.Database.CloseConnectionAsync();
            }
        }, () => _commitSent, ct => CommittedAsync(commitId, parsed, ct), cancellationToken);
    }

    /// <summary>Whether the attempt under way sent its COMMIT (<see cref="CommitRetry"/>: a failure after it leaves the outcome unknown).</summary>
    private bool _commitSent;

    /// <summary>
    /// The result of commit <paramref name="commitId"/> if it went through, else null. Waits first for the counter row's
    /// lock: a transaction that holds it (the lost commit, still running on the server) has ended by then.
    /// </summary>
    private async Task<BatchResult?> CommittedAsync(Guid commitId, Parsed[] parsed, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        try
        {
            await using (var begin = new NpgsqlCommand("BEGIN; SELECT last_value FROM config_sequence WHERE id = 1 FOR UPDATE", connection))
            {
                await begin.ExecuteNonQueryAsync(cancellationToken);
            }
            await using var find = new NpgsqlCommand("SELECT min(sequence), count(*) FROM admin_audit WHERE commit_id = $1", connection)
            {
                Parameters = { new NpgsqlParameter<Guid> { TypedValue = commitId } },
            };
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var (first, count) = (reader.IsDBNull(0) ? 0 : reader.GetInt64(0), reader.GetInt64(1));
            await reader.DisposeAsync();
            await RollbackAsync(connection);
            if (count == 0)
            {
                return null;
            }
            if (count != parsed.Length)
            {
                throw new InvalidOperationException($"Commit {commitId} logged {count} changes, not the {parsed.Length} it was made of.");
            }
            stats.Committed(parsed.Length);
            signal.Notify();
            return CommittedFrom(parsed, first);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static BatchResult CommittedFrom(Parsed[] parsed, long first) => new([.. parsed.Select((p, i) => Committed(p.Row, first + i))], []);

    private sealed record Parsed(Type Type, ConfigRow? Row);

    private static readonly Parsed Unparsed = new(typeof(ConfigRow), null);

    private static (Parsed Row, EditResult? Problem) Parse(ConfigEdit edit)
    {
        if (!ConfigTables.TryGet(edit.Table, out var type))
        {
            return (Unparsed, new EditResult.NotFound($"Unknown table '{edit.Table}'. Known: {string.Join(", ", ConfigTables.All.Select(t => t.Name))}."));
        }
        if (edit.Id <= 0)
        {
            return (Unparsed, new EditResult.Invalid("The id must be a positive whole number."));
        }
        if (!ConfigOperations.IsKnown(edit.Operation))
        {
            return (Unparsed, new EditResult.Invalid($"The operation must be {ConfigOperations.Upsert} or {ConfigOperations.Delete}, not '{edit.Operation}'."));
        }
        if (edit.Operation == ConfigOperations.Delete)
        {
            return (new Parsed(type, null), null);
        }
        ConfigRow? row;
        try
        {
            row = edit.Row is { ValueKind: JsonValueKind.Object } json ? (ConfigRow?)json.Deserialize(type, Json.Options) : null;
        }
        catch (JsonException exception)
        {
            return (Unparsed, new EditResult.Invalid($"The body is not a valid {edit.Table} row: {exception.Message}"));
        }
        if (row is null)
        {
            return (Unparsed, new EditResult.Invalid($"The body is not a {edit.Table} row (a JSON object)."));
        }
        if (RowRules.Check(row) is { } problem)
        {
            return (Unparsed, new EditResult.Invalid(problem));
        }
        row.Id = edit.Id;
        row.ConfigSequence = 0; // set with the sequence, once it is taken
        return (new Parsed(type, row), null);
    }

    /// <summary>
    /// One attempt: lock and read the touched rows, check versions and existence, write. Each refusal the database finds
    /// leaves that edit out of the next round (rolled back), to find the others; only a batch without refusals commits.
    /// </summary>
    private async Task<BatchResult> TryApplyAsync(NpgsqlConnection connection, IReadOnlyList<ConfigEdit> edits, Parsed[] parsed,
        List<RefusedEdit> refused, bool dryRun, EditAuthor author, Guid commitId, CancellationToken cancellationToken)
    {
        var excluded = refused.Select(r => r.Index).ToHashSet();
        while (true)
        {
            Dictionary<(Type, long), long> versions;
            try
            {
                versions = await BeginAndLockAsync(connection, edits, parsed, cancellationToken);
            }
            catch
            {
                await RollbackAsync(connection);
                throw;
            }
            foreach (var refusal in Simulate(edits, parsed, versions, excluded, author.Force))
            {
                refused.Add(refusal);
                excluded.Add(refusal.Index);
            }
            var commit = refused.Count == 0 && !dryRun;
            await using var batch = new NpgsqlBatch(connection);
            var statementOf = new List<int>();
            for (var i = 0; i < edits.Count; i++)
            {
                if (!excluded.Contains(i))
                {
                    batch.BatchCommands.Add(parsed[i].Row is { } row ? ConfigTables.Of(parsed[i].Type).Upsert(row) : ConfigTables.Of(parsed[i].Type).Delete(edits[i].Id));
                    statementOf.Add(i);
                }
            }
            var committedAt = clock.GetUtcNow();
            if (commit)
            {
                AddSequenceAndLog(batch, edits, parsed, committedAt, author, commitId);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                _commitSent = true;
            }
            try
            {
                var last = await ExecuteAsync(batch, commit, cancellationToken);
                if (!commit)
                {
                    await RollbackAsync(connection);
                    return new BatchResult([], [.. refused.OrderBy(r => r.Index)]);
                }
                stats.Committed(edits.Count);
                signal.Notify();
                return CommittedFrom(parsed, last - edits.Count + 1);
            }
            catch (PostgresException exception) when (StatementIndex(batch, exception) is { } statement && statement < statementOf.Count
                && ToRefusal(exception, edits[statementOf[statement]], parsed[statementOf[statement]].Row, versions.GetValueOrDefault((parsed[statementOf[statement]].Type, edits[statementOf[statement]].Id))) is { } result)
            {
                await RollbackAsync(connection);
                var index = statementOf[statement];
                refused.Add(new RefusedEdit(index, edits[index].Table, edits[index].Id, result));
                excluded.Add(index);
                if (refused.Count >= MaxRefusalsReported || excluded.Count == edits.Count)
                {
                    return new BatchResult([], [.. refused.OrderBy(r => r.Index)]);
                }
            }
            catch
            {
                await RollbackAsync(connection);
                throw;
            }
        }
    }

    private static EditResult.Committed Committed(ConfigRow? row, long sequence)
    {
        if (row is not null)
        {
            row.ConfigSequence = sequence;
        }
        return new EditResult.Committed(sequence, row);
    }

    /// <summary>BEGIN, then each touched table's rows locked in id order (FOR UPDATE) with their versions, in one round trip.</summary>
    private static async Task<Dictionary<(Type, long), long>> BeginAndLockAsync(NpgsqlConnection connection, IReadOnlyList<ConfigEdit> edits,
        Parsed[] parsed, CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { new NpgsqlBatchCommand("BEGIN") } };
        foreach (var table in parsed.Select((p, i) => (p.Type, edits[i].Id)).Where(k => k.Type != Unparsed.Type).GroupBy(k => k.Type))
        {
            var name = ConfigTables.Of(table.Key).Name;
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"SELECT '{name}', id, config_sequence FROM \"{name}\" WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            {
                Parameters = { new NpgsqlParameter<long[]> { TypedValue = [.. table.Select(k => k.Id).Distinct()] } },
            });
        }
        var versions = new Dictionary<(Type, long), long>();
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ConfigTables.TryGet(reader.GetString(0), out var type);
                versions[(type, reader.GetInt64(1))] = reader.GetInt64(2);
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
        return versions;
    }

    /// <summary>
    /// Walks the edits in order over the locked rows: a named version must be current, a deleted row must exist, and
    /// (unless <paramref name="force"/>) the first change of a row that exists must name its version.
    /// </summary>
    private static IEnumerable<RefusedEdit> Simulate(IReadOnlyList<ConfigEdit> edits, Parsed[] parsed, Dictionary<(Type, long), long> versions,
        HashSet<int> excluded, bool force)
    {
        var exists = versions.Keys.ToHashSet();
        var touched = new HashSet<(Type, long)>();
        for (var i = 0; i < edits.Count; i++)
        {
            if (excluded.Contains(i))
            {
                continue;
            }
            var edit = edits[i];
            var key = (parsed[i].Type, edit.Id);
            var current = versions.GetValueOrDefault(key);
            EditResult? problem = null;
            if (edit.ExpectedVersion is { } expected && touched.Contains(key))
            {
                problem = new EditResult.Conflict($"{edit.Table} {edit.Id} is changed earlier in this batch: name a version only on its first change.", current);
            }
            else if (edit.ExpectedVersion is { } named && named != current)
            {
                problem = new EditResult.Conflict($"{edit.Table} {edit.Id} is at version {current}, not {named}: reload it and edit again.", current);
            }
            else if (edit.Operation == ConfigOperations.Delete && !exists.Contains(key))
            {
                problem = new EditResult.NotFound($"{edit.Table} {edit.Id} does not exist.");
            }
            else if (!force && edit.ExpectedVersion is null && versions.ContainsKey(key) && !touched.Contains(key))
            {
                problem = new EditResult.PreconditionRequired(
                    $"{edit.Table} {edit.Id} exists (version {current}): name the version you read (If-Match, or \"version\" in a batch), or force.", current);
            }
            if (problem is not null)
            {
                yield return new RefusedEdit(i, edit.Table, edit.Id, problem);
                continue;
            }
            touched.Add(key);
            if (edit.Operation == ConfigOperations.Delete)
            {
                exists.Remove(key);
            }
            else
            {
                exists.Add(key);
            }
        }
    }

    /// <summary>
    /// The tail of the commit batch: one counter increment of N, each surviving row's version (its last change in the
    /// batch), and the N log rows, sequence = counter - N + position (1-based).
    /// </summary>
    private static void AddSequenceAndLog(NpgsqlBatch batch, IReadOnlyList<ConfigEdit> edits, Parsed[] parsed, DateTimeOffset committedAt, EditAuthor author,
        Guid commitId)
    {
        var n = edits.Count;
        batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE config_sequence SET last_value = last_value + $1 WHERE id = 1 RETURNING last_value")
        {
            Parameters = { new NpgsqlParameter<long> { TypedValue = n } },
        });
        var lastChange = new Dictionary<(Type Type, long Id), int>();
        for (var i = 0; i < n; i++)
        {
            lastChange[(parsed[i].Type, edits[i].Id)] = i;
        }
        foreach (var table in lastChange.Where(c => parsed[c.Value].Row is not null).GroupBy(c => c.Key.Type))
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"""
                UPDATE "{ConfigTables.Of(table.Key).Name}" t SET config_sequence = c.last_value - $1 + v.position
                FROM config_sequence c, unnest($2::bigint[], $3::bigint[]) v(id, position) WHERE c.id = 1 AND t.id = v.id
                """)
            {
                Parameters =
                {
                    new NpgsqlParameter<long> { TypedValue = n },
                    new NpgsqlParameter<long[]> { TypedValue = [.. table.Select(c => c.Key.Id)] },
                    new NpgsqlParameter<long[]> { TypedValue = [.. table.Select(c => (long)c.Value + 1)] },
                },
            });
        }
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO config_change_log (sequence, "table", operation, key, row_json, committed_at, trace_parent)
            SELECT c.last_value - $1 + v.position, v.tbl, v.operation, v.key,
                   jsonb_set(v.row_json::jsonb, '{configSequence}', to_jsonb(c.last_value - $1 + v.position)), $6, $7
            FROM config_sequence c, unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY v(tbl, operation, key, row_json, position)
            WHERE c.id = 1
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<long> { TypedValue = n },
                new NpgsqlParameter<string[]> { TypedValue = [.. edits.Select(e => e.Table)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. edits.Select(e => e.Operation)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. edits.Select(e => e.Id.ToString(CultureInfo.InvariantCulture))] },
                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text,
                    Value = parsed.Select(p => p.Row is null ? null : JsonSerializer.Serialize(p.Row, p.Type, Json.Options)).ToArray() },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = committedAt },
                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)RtdTracing.TraceParent(Activity.Current) ?? DBNull.Value },
            },
        });
        // the audit: who, from where, for each change just logged
        batch.BatchCommands.Add(new NpgsqlBatchCommand("""
            INSERT INTO admin_audit (sequence, "table", operation, key, changed_by, changed_from, forced, changed_at, commit_id)
            SELECT l.sequence, l."table", l.operation, l.key, $2, $3, $4, l.committed_at, $5
            FROM config_change_log l, config_sequence c WHERE c.id = 1 AND l.sequence > c.last_value - $1
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<long> { TypedValue = n },
                new NpgsqlParameter<string> { TypedValue = author.Who },
                new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)author.From ?? DBNull.Value },
                new NpgsqlParameter<bool> { TypedValue = author.Force },
                new NpgsqlParameter<Guid> { TypedValue = commitId },
            },
        });
    }

    /// <summary>Runs the batch; when it commits, returns the counter's new last value.</summary>
    private static async Task<long> ExecuteAsync(NpgsqlBatch batch, bool commit, CancellationToken cancellationToken)
    {
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        long last = 0;
        do
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (commit)
                {
                    last = reader.GetInt64(0);
                }
            }
        }
        while (await reader.NextResultAsync(cancellationToken));
        return last;
    }

    /// <summary>
    /// The statement that failed: the first one without a completion (RecordsAffected -1; Npgsql leaves
    /// PostgresException.BatchCommand empty in a batch inside a transaction begun with SQL).
    /// </summary>
    private static int? StatementIndex(NpgsqlBatch batch, PostgresException exception) =>
        exception.BatchCommand is { } failed ? batch.BatchCommands.IndexOf(failed)
        : batch.BatchCommands.Cast<NpgsqlBatchCommand>().Select((c, i) => (c, i)).FirstOrDefault(x => x.c.RecordsAffected < 0) is { c: not null } first ? first.i : null;

    /// <summary>
    /// A refusal the database found, in the API's words: the row and the field (from the EF model's constraint of that
    /// name), never the constraint's name.
    /// </summary>
    private EditResult? ToRefusal(PostgresException exception, ConfigEdit edit, ConfigRow? row, long currentVersion) => exception.SqlState switch
    {
        PostgresErrorCodes.UniqueViolation => new EditResult.Invalid(Duplicate(exception.ConstraintName, edit, row)),
        PostgresErrorCodes.ForeignKeyViolation when edit.Operation == ConfigOperations.Delete =>
            new EditResult.Conflict($"{edit.Table} {edit.Id} is still referenced{Referrer(exception)}; remove those rows first.", currentVersion),
        PostgresErrorCodes.ForeignKeyViolation => new EditResult.Invalid(MissingReference(exception.ConstraintName, edit, row)),
        _ => null,
    };

    private string Duplicate(string? constraint, ConfigEdit edit, ConfigRow? row)
    {
        var index = db.Model.GetEntityTypes().SelectMany(e => e.GetIndexes()).FirstOrDefault(i => i.GetDatabaseName() == constraint);
        if (index is null || row is null)
        {
            return $"Another {edit.Table} row already has these values.";
        }
        var values = index.Properties.Select(p => $"{p.GetColumnName()} {ValueOf(p, row)}").ToList();
        return index.Properties.Count > 1 && row is SkillGroupMember member
            ? $"Agent {member.AgentId} is already a member of skill group {member.SkillGroupId} (another skillgroupmember row has {string.Join(" and ", values)})."
            : $"Another {edit.Table} row already has {string.Join(" and ", values)}: {edit.Table} {edit.Id} must differ.";
    }

    private string MissingReference(string? constraint, ConfigEdit edit, ConfigRow? row)
    {
        var key = db.Model.GetEntityTypes().SelectMany(e => e.GetForeignKeys()).FirstOrDefault(k => k.GetConstraintName() == constraint);
        if (key is null || row is null)
        {
            return $"{edit.Table} {edit.Id} refers to a row that does not exist.";
        }
        var principal = key.PrincipalEntityType.GetTableName();
        var fields = string.Join(" and ", key.Properties.Select(p => $"{p.GetColumnName()} {ValueOf(p, row)}"));
        return $"{edit.Table} {edit.Id}: {fields} names no {principal} (create that {principal} first).";
    }

    /// <summary>", by skillgroupmember rows (their skill_group_id)": the referring table and field of a constraint, if known.</summary>
    private string Referrer(PostgresException exception)
    {
        var key = db.Model.GetEntityTypes().SelectMany(e => e.GetForeignKeys()).FirstOrDefault(k => k.GetConstraintName() == exception.ConstraintName);
        return key is null ? "" : $" by {key.DeclaringEntityType.GetTableName()} rows (their {string.Join(", ", key.Properties.Select(p => p.GetColumnName()))})";
    }

    private static string ValueOf(Microsoft.EntityFrameworkCore.Metadata.IProperty property, ConfigRow row) =>
        Convert.ToString(property.PropertyInfo?.GetValue(row), CultureInfo.InvariantCulture) is { } value
            ? property.ClrType == typeof(string) ? $"'{value}'" : value
            : "null";

    /// <summary>Rolls back, unless the connection is gone (the server rolled back when the session ended).</summary>
    private static async Task RollbackAsync(NpgsqlConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            await using var rollback = new NpgsqlCommand("ROLLBACK", connection);
            try
            {
                await rollback.ExecuteNonQueryAsync(CancellationToken.None);
            }
            catch (Exception exception) when (Resilience.IsConnectionLost(exception))
            {
                // the failure that brought us here is the one to report
            }
        }
    }
}
