using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>Set-up shortcuts for tests and benchmarks: a backlog of committed changes written straight into the central database.</summary>
public static class CentralBacklog
{
    /// <summary>Commits <paramref name="count"/> agent upserts (ids from 1,000) with their change-log rows, as the admin API would, in one transaction.</summary>
    public static async Task CommitAgentsAsync(string database, int count)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            BEGIN;
            WITH s AS (SELECT last_value AS base FROM config_sequence WHERE id = 1)
            INSERT INTO agent (id, name, peripheral_id, config_sequence)
            SELECT 1000 + g, 'Agent ' || g, 1, s.base + g FROM generate_series(1, @n) g, s;
            WITH s AS (SELECT last_value AS base FROM config_sequence WHERE id = 1)
            INSERT INTO config_change_log (sequence, "table", operation, key, row_json, committed_at)
            SELECT s.base + g, 'agent', 'upsert', (1000 + g)::text,
                   json_build_object('id', 1000 + g, 'name', 'Agent ' || g, 'peripheralId', 1, 'configSequence', s.base + g)::jsonb, now()
            FROM generate_series(1, @n) g, s;
            UPDATE config_sequence SET last_value = last_value + @n WHERE id = 1;
            COMMIT;
            """, connection);
        command.Parameters.AddWithValue("n", count);
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
}
