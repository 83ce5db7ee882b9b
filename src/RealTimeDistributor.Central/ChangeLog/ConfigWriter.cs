using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
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
}

/// <summary>
/// Commits configuration edits. Each one takes the next number of the gapless sequence, changes the row, and appends
/// to the change log, all in one transaction: the log is the outbox the relay publishes.
/// </summary>
public sealed class ConfigWriter(CentralDbContext db, ChangeLogSignal signal, CentralStats stats, TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxScriptLength = 64 * 1024;

    public Task<EditResult> UpsertAsync(string table, long id, JsonElement body, long? expectedVersion, CancellationToken cancellationToken) =>
        EditAsync(table, id, body, expectedVersion, ConfigOperations.Upsert, cancellationToken);

    public Task<EditResult> DeleteAsync(string table, long id, long? expectedVersion, CancellationToken cancellationToken) =>
        EditAsync(table, id, null, expectedVersion, ConfigOperations.Delete, cancellationToken);

    private async Task<EditResult> EditAsync(string table, long id, JsonElement? body, long? expectedVersion, string operation, CancellationToken cancellationToken)
    {
        if (!ConfigTables.TryGet(table, out var type))
        {
            return new EditResult.NotFound($"Unknown table '{table}'. Known: {string.Join(", ", ConfigTables.All.Select(t => t.Name))}.");
        }
        if (id <= 0)
        {
            return new EditResult.Invalid("The id must be a positive whole number.");
        }
        ConfigRow? incoming = null;
        if (body is { } json)
        {
            try
            {
                incoming = (ConfigRow?)json.Deserialize(type, Json.Options);
            }
            catch (JsonException exception)
            {
                return new EditResult.Invalid($"The body is not a valid {table} row: {exception.Message}");
            }
            if (incoming is null)
            {
                return new EditResult.Invalid("The body is empty.");
            }
            var problem = RowRules.Check(incoming);
            if (problem is not null)
            {
                return new EditResult.Invalid(problem);
            }
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var sequence = (await db.Database
            .SqlQuery<long>($"UPDATE config_sequence SET last_value = last_value + 1 WHERE id = 1 RETURNING last_value AS \"Value\"")
            .ToListAsync(cancellationToken)).Single();
        var existing = (ConfigRow?)await db.FindAsync(type, [id], cancellationToken);
        var currentVersion = existing?.ConfigSequence ?? 0;
        if (expectedVersion is { } expected && expected != currentVersion)
        {
            return new EditResult.Conflict($"{table} {id} is at version {currentVersion}, not {expected}: reload it and edit again.", currentVersion);
        }
        if (operation == ConfigOperations.Delete)
        {
            if (existing is null)
            {
                return new EditResult.NotFound($"{table} {id} does not exist.");
            }
            db.Remove(existing);
        }
        else
        {
            incoming!.Id = id;
            incoming.ConfigSequence = sequence;
            if (existing is null)
            {
                db.Add(incoming);
            }
            else
            {
                db.Entry(existing).CurrentValues.SetValues(incoming);
            }
        }
        var row = operation == ConfigOperations.Delete ? null : incoming;
        db.ChangeLog.Add(new ConfigChangeLogEntry
        {
            Sequence = sequence,
            Table = table,
            Operation = operation,
            Key = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            RowJson = row is null ? null : JsonSerializer.Serialize(row, type, Json.Options),
            CommittedAt = clock.GetUtcNow(),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException
        {
            SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation,
        } postgres)
        {
            db.ChangeTracker.Clear();
            return postgres.SqlState switch
            {
                PostgresErrorCodes.UniqueViolation => new EditResult.Invalid($"Another {table} already has that name ({postgres.ConstraintName})."),
                PostgresErrorCodes.ForeignKeyViolation when operation == ConfigOperations.Delete =>
                    new EditResult.Conflict($"{table} {id} is still referenced ({postgres.ConstraintName}); remove those rows first.", currentVersion),
                _ => new EditResult.Invalid($"The row references something that does not exist ({postgres.ConstraintName}).")
            };
        }
        await transaction.CommitAsync(cancellationToken);
        stats.Committed();
        signal.Notify();
        return new EditResult.Committed(sequence, row);
    }
}
