using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>What a run of changes did: the site updates to republish and the sequence the replica is now at.</summary>
public sealed record RunResult(IReadOnlyList<SiteUpdate> Updates, long Applied);

/// <summary>
/// Applies a run of consecutive central configuration changes to the replica in one transaction, strictly in sequence:
/// a change at or below the applied sequence is a duplicate (nothing changes; its site update of record is returned to be
/// republished, <see cref="OfRecordAsync"/>), and the run stops at the first one that is not exactly the next. The run becomes one upsert or delete
/// statement per stretch of consecutive changes to one table (see <see cref="Stretches"/>); the statements, the apply
/// log, the applied sequence and the site sequences go to PostgreSQL as one batch (one round trip) and commit together.
/// A run that does not fit that way is applied again change by change, in sequence order, so the replica passes through
/// the same states the central database did; a change that still does not fit the replica (a row referring to one the
/// replica lacks) is reported as poison, with the reason, and nothing of the run is kept.
/// </summary>
public sealed class ConfigApplier(NpgsqlDataSource dataSource, ReplicaDbContext db, DistributorSettings settings, DistributorStats stats,
    TimeProvider clock, ILogger<ConfigApplier> logger)
{
    /// <param name="grant">The site lease the commit is fenced with, as <see cref="SiteStream"/> checked it for the batch.</param>
    public async Task<RunResult> ApplyRunAsync(IReadOnlyList<ConfigChanged> run, LeaseGrant grant, CancellationToken cancellationToken)
    {
        try
        {
            return await ApplyAsync(run, grant, setBased: true, cancellationToken);
        }
        catch (PostgresException exception) when (PoisonMessageException.IsDataError(exception))
        {
            logger.LogInformation("A run of {Count} changes from {Sequence} does not apply table by table ({Reason}); applying it change by change",
                run.Count, run[0].Sequence, exception.MessageText);
            return await ApplyAsync(run, grant, setBased: false, cancellationToken);
        }
    }

    /// <param name="setBased">
    /// One statement per stretch of consecutive changes to the same table with the same operation (the fast way), or one
    /// per change (which tells exactly which change does not fit).
    /// </param>
    private async Task<RunResult> ApplyAsync(IReadOnlyList<ConfigChanged> run, LeaseGrant grant, bool setBased, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var (appliedBefore, siteSequenceBefore) = await LockStateAsync(connection, transaction, grant, cancellationToken);

        var updates = new List<SiteUpdate>();
        var duplicates = run.Where(c => c.Sequence <= appliedBefore).ToList();
        if (duplicates.Count > 0)
        {
            updates.AddRange(await OfRecordAsync(connection, transaction, duplicates, grant, cancellationToken));
            logger.LogInformation("Skipped {Count} duplicate config changes (applied through {Sequence})", duplicates.Count, appliedBefore);
        }

        var applied = appliedBefore;
        var siteSequence = siteSequenceBefore;
        var next = new List<ConfigChanged>();
        foreach (var change in run.Where(c => c.Sequence > appliedBefore).OrderBy(c => c.Sequence))
        {
            if (change.Sequence != applied + 1)
            {
                break;
            }
            next.Add(change);
            applied = change.Sequence;
            updates.Add(ToSiteUpdate(change, ++siteSequence, grant));
        }
        if (next.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return new RunResult(updates, appliedBefore);
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        if (setBased)
        {
            foreach (var statement in Stretches(next))
            {
                batch.BatchCommands.Add(statement);
            }
        }
        else
        {
            await ApplyOneByOneAsync(connection, transaction, next, cancellationToken);
        }
        batch.BatchCommands.Add(ApplyLog(next, siteSequenceBefore));
        batch.BatchCommands.Add(NewState(applied, siteSequence));
        await batch.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        stats.Applied(next.Count);
        logger.LogInformation("Applied config changes through {Sequence} ({Count} in one transaction)", applied, next.Count);
        return new RunResult(updates, applied);
    }

    /// <summary>Locks the site's state row under this process's epoch; the database refuses (no row) once another process took the site over.</summary>
    private async Task<(long Applied, long SiteSequence)> LockStateAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, LeaseGrant grant,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand(ReplicaCommit.Asynchronous),
                new NpgsqlBatchCommand($"SELECT applied_config_sequence, site_sequence FROM sync_state WHERE {SiteLease.FenceSql} FOR UPDATE")
                {
                    Parameters = { new NpgsqlParameter<string> { TypedValue = settings.Site }, new NpgsqlParameter<long> { TypedValue = grant.Epoch } },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new EpochRefusedException(settings.Site, grant);
        }
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>
    /// The site updates of <paramref name="duplicates"/> as the replica has them on record, to be republished under their
    /// original site sequences: the table, operation and key of the apply log, and an upsert's row as the replica holds it
    /// now (the content of the duplicate that arrived is never trusted: a forged copy must not go out under the original
    /// sequence). A duplicate the replica has no record of, or whose row has been deleted since, is not republished.
    /// </summary>
    private async Task<List<SiteUpdate>> OfRecordAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ConfigChanged> duplicates,
        LeaseGrant grant, CancellationToken cancellationToken)
    {
        var records = new List<(long Sequence, long SiteSequence, string Table, string Operation, string Key)>();
        await using (var command = new NpgsqlCommand(
            "SELECT central_sequence, site_sequence, \"table\", operation, key FROM config_apply_log WHERE central_sequence = ANY($1)", connection, transaction)
        {
            Parameters = { new NpgsqlParameter<long[]> { TypedValue = [.. duplicates.Select(c => c.Sequence)] } },
        })
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                records.Add((reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4)));
            }
        }
        var rows = new Dictionary<(string Table, string Key), JsonElement>();
        foreach (var table in records.Where(r => r.Operation == ConfigOperations.Upsert).GroupBy(r => r.Table))
        {
            if (!ConfigTables.TryFind(table.Key, out var descriptor))
            {
                continue;
            }
            long[] ids = [.. table.Select(r => long.Parse(r.Key, System.Globalization.CultureInfo.InvariantCulture)).Distinct()];
            foreach (var row in await descriptor.Rows(db).AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(cancellationToken))
            {
                rows[(table.Key, row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))] = JsonSerializer.SerializeToElement(row, descriptor.Type, Json.Options);
            }
        }
        var updates = new List<SiteUpdate>();
        foreach (var change in duplicates)
        {
            stats.Duplicate();
            if (records.FirstOrDefault(r => r.Sequence == change.Sequence) is not { Table: not null } record)
            {
                continue;
            }
            JsonElement? row = null;
            if (record.Operation == ConfigOperations.Upsert)
            {
                if (!rows.TryGetValue((record.Table, record.Key), out var current))
                {
                    continue;
                }
                row = current;
            }
            updates.Add(ToSiteUpdate(change with { Table = record.Table, Operation = record.Operation, Key = record.Key, Row = row }, record.SiteSequence, grant));
        }
        return updates;
    }

    /// <summary>
    /// One statement per stretch of consecutive changes to one table with one operation, each row written once with its
    /// last value in the stretch. Tables still change in the order the central database did, so a row always finds its
    /// parents; only an order within a stretch that mattered (a unique name handed from one row to another) fails here.
    /// </summary>
    private static IEnumerable<NpgsqlBatchCommand> Stretches(IReadOnlyList<ConfigChanged> changes)
    {
        var start = 0;
        while (start < changes.Count)
        {
            var (table, operation) = (changes[start].Table, changes[start].Operation);
            var end = start;
            while (end < changes.Count && changes[end].Table == table && changes[end].Operation == operation)
            {
                end++;
            }
            ConfigTables.TryFind(table, out var descriptor);
            var stretch = changes.Skip(start).Take(end - start);
            yield return operation == ConfigOperations.Delete
                ? descriptor.DeleteMany([.. stretch.Select(ConfigChangeRules.Id).Distinct()])
                : descriptor.UpsertMany([.. stretch.Select(c => ConfigChangeRules.Deserialize(c, descriptor)).GroupBy(r => r.Id).Select(g => g.Last())]);
            start = end;
        }
    }

    /// <summary>The slow way, one round trip per change: the change that does not fit is poison, named with the reason.</summary>
    private async Task ApplyOneByOneAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<ConfigChanged> changes,
        CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { Statement(change) } };
            try
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException exception) when (PoisonMessageException.IsDataError(exception))
            {
                throw new PoisonMessageException(change.Sequence,
                    $"Change {change.Sequence} ({change.Table} {change.Key}) does not fit the replica: {exception.MessageText}");
            }
        }
    }

    private static NpgsqlBatchCommand Statement(ConfigChanged change)
    {
        ConfigTables.TryFind(change.Table, out var table);
        return change.Operation == ConfigOperations.Delete ? table.Delete(ConfigChangeRules.Id(change)) : table.Upsert(ConfigChangeRules.Deserialize(change, table));
    }

    private NpgsqlBatchCommand ApplyLog(IReadOnlyList<ConfigChanged> changes, long siteSequenceBefore) =>
        new("""
            INSERT INTO config_apply_log (central_sequence, site_sequence, "table", operation, key, applied_at)
            SELECT c.central_sequence, c.site_sequence, c.table_name, c.operation, c.key, $6
            FROM unnest($1, $2, $3, $4, $5) AS c(central_sequence, site_sequence, table_name, operation, key)
            """)
        {
            Parameters =
            {
                new NpgsqlParameter<long[]> { TypedValue = [.. changes.Select(c => c.Sequence)] },
                new NpgsqlParameter<long[]> { TypedValue = [.. changes.Select((_, i) => siteSequenceBefore + i + 1)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. changes.Select(c => c.Table)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. changes.Select(c => c.Operation)] },
                new NpgsqlParameter<string[]> { TypedValue = [.. changes.Select(c => c.Key)] },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = clock.GetUtcNow() },
            },
        };

    private NpgsqlBatchCommand NewState(long applied, long siteSequence) =>
        new("UPDATE sync_state SET applied_config_sequence = $1, site_sequence = $2 WHERE site = $3")
        {
            Parameters =
            {
                new NpgsqlParameter<long> { TypedValue = applied },
                new NpgsqlParameter<long> { TypedValue = siteSequence },
                new NpgsqlParameter<string> { TypedValue = settings.Site },
            },
        };

    private ConfigUpdate ToSiteUpdate(ConfigChanged change, long siteSequence, LeaseGrant grant) =>
        new(settings.Site, siteSequence, change.Table, change.Key, change with { CentralEpoch = 0 }, clock.GetUtcNow()) // the central epoch stays at the center
        {
            Epoch = grant.Epoch,
            StreamId = grant.StreamId,
        };
}
