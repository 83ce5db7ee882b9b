using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace RealTimeDistributor.Testing;

/// <summary>Set-up shortcuts for tests and benchmarks: a backlog of committed changes written straight into the central database.</summary>
public static class CentralBacklog
{
    /// <summary>
    /// Commits <paramref name="count"/> agent upserts (ids from 1,001, or from <paramref name="firstId"/>; agent 1000 + n is
    /// named "Agent n") with their change-log rows, as the admin API would, in one transaction.
    /// </summary>
    public static async Task CommitAgentsAsync(string database, int count, long firstId = 1001)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            BEGIN;
            WITH s AS (SELECT last_value AS base FROM config_sequence WHERE id = 1)
            INSERT INTO agent (id, name, peripheral_id, config_sequence)
            SELECT @first - 1 + g, 'Agent ' || (@first - 1001 + g), 1, s.base + g FROM generate_series(1, @n) g, s;
            WITH s AS (SELECT last_value AS base FROM config_sequence WHERE id = 1)
            INSERT INTO config_change_log (sequence, "table", operation, key, row_json, committed_at)
            SELECT s.base + g, 'agent', 'upsert', (@first - 1 + g)::text,
                   json_build_object('id', @first - 1 + g, 'name', 'Agent ' || (@first - 1001 + g), 'peripheralId', 1, 'configSequence', s.base + g)::jsonb, now()
            FROM generate_series(1, @n) g, s;
            UPDATE config_sequence SET last_value = last_value + @n WHERE id = 1;
            COMMIT;
            """, connection);
        command.Parameters.AddWithValue("n", count);
        command.Parameters.AddWithValue("first", firstId);
        await command.ExecuteNonQueryAsync();
    }

    public static async Task<(long Last, long Published)> SequenceAsync(RtdSystem system)
    {
        var json = await system.CentralApi.GetFromJsonAsync<JsonElement>("/api/sequence");
        return (json.GetProperty("lastSequence").GetInt64(), json.GetProperty("publishedThrough").GetInt64());
    }

    public static async Task<T> QueryCentralAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Renames existing agents in ONE transaction with consecutive sequences and change-log rows, as the admin API would
    /// one by one (for benchmarks that need more commits per second than single edits reach). Returns the sequences.
    /// </summary>
    public static async Task<long[]> RenameAgentsAsync(NpgsqlConnection connection, long[] ids, string[] names)
    {
        await using var transaction = await connection.BeginTransactionAsync();
        long last;
        await using (var next = new NpgsqlCommand("UPDATE config_sequence SET last_value = last_value + @n WHERE id = 1 RETURNING last_value", connection, transaction))
        {
            next.Parameters.AddWithValue("n", (long)ids.Length);
            last = (long)(await next.ExecuteScalarAsync())!;
        }
        var first = last - ids.Length + 1;
        await using (var write = new NpgsqlCommand("""
            WITH c AS (SELECT * FROM unnest(@ids, @names) WITH ORDINALITY AS c(id, name, k))
            UPDATE agent a SET name = c.name, config_sequence = @first + c.k - 1 FROM c WHERE a.id = c.id;
            INSERT INTO config_change_log (sequence, "table", operation, key, row_json, committed_at)
            SELECT @first + c.k - 1, 'agent', 'upsert', c.id::text,
                   json_build_object('id', c.id, 'name', c.name, 'peripheralId', a.peripheral_id, 'configSequence', @first + c.k - 1)::jsonb, now()
            FROM unnest(@ids, @names) WITH ORDINALITY AS c(id, name, k) JOIN agent a ON a.id = c.id;
            """, connection, transaction))
        {
            write.Parameters.AddWithValue("ids", ids);
            write.Parameters.AddWithValue("names", names);
            write.Parameters.AddWithValue("first", first);
            await write.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
        return [.. Enumerable.Range(0, ids.Length).Select(k => first + k)];
    }

    /// <summary>Every agent row of <paramref name="database"/> (central or replica) as "id|name|peripheral|config_sequence", by id.</summary>
    public static async Task<List<string>> AgentsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, name, peripheral_id, config_sequence FROM agent ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetInt64(0)}|{reader.GetString(1)}|{reader.GetInt64(2)}|{reader.GetInt64(3)}");
        }
        return rows;
    }
}
