using Npgsql;

namespace RealTimeDistributor.Testing;

/// <summary>Faults of a site's replica database that tests and `rtd-lab chaos` inject.</summary>
public static class ReplicaFaults
{
    /// <summary>
    /// Sets <paramref name="database"/>'s read-only default and ends its sessions, so every new one (the pools reconnect)
    /// has it, as a replica failed over to a standby or put in recovery would refuse writes (25006).
    /// </summary>
    public static async Task SetReadOnlyAsync(string adminConnectionString, string database, bool readOnly)
    {
        await using var admin = new NpgsqlConnection(adminConnectionString);
        await admin.OpenAsync();
        await using (var alter = new NpgsqlCommand($"ALTER DATABASE \"{database}\" SET default_transaction_read_only = {(readOnly ? "on" : "off")}", admin))
        {
            await alter.ExecuteNonQueryAsync();
        }
        await using var terminate = new NpgsqlCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
        terminate.Parameters.AddWithValue("db", database);
        await terminate.ExecuteScalarAsync();
    }
}
