using Npgsql;

namespace RealTimeDistributor.Testing;

/// <summary>
/// The central database under Patroni of infra/postgres/ha.sh (two PostgreSQL with a synchronous standby, HAProxy on
/// one address following the leader), for the tests and rtd-lab chaos: brought up when no leader answers (and then
/// down again by whoever brought it up), its primary killed, its lost member rejoined.
/// </summary>
public sealed class CentralDatabaseCluster
{
    private const string Script = "infra/postgres/ha.sh";

    private CentralDatabaseCluster(bool startedHere) => StartedHere = startedHere;

    /// <summary>This run started the cluster (<see cref="ReleaseAsync"/> takes it down); else it reused a running one (infra/test.sh's).</summary>
    public bool StartedHere { get; }

    /// <summary>HAProxy's address (ha.sh: 127.0.0.1:5460, or RTD_HA_PORT).</summary>
    public static string Address => "127.0.0.1:" + (Environment.GetEnvironmentVariable("RTD_HA_PORT") is { Length: > 0 } port ? port : "5460");

    /// <summary>A connection string to <paramref name="database"/> through HAProxy, as the tests' role (CREATEDB: the center's migrations create it).</summary>
    public static string ConnectionString(string database) =>
        $"Host={Address.Split(':')[0]};Port={Address.Split(':')[1]};Database={database};Username={TestSettings.PostgresUser};Password={TestSettings.PostgresPassword}";

    /// <summary>
    /// Reuses the running cluster with a leader, once it has a synchronous standby again (a member killed before rejoins in
    /// about 30 s), or starts one (ha.sh up, about 25 s).
    /// </summary>
    public static async Task<CentralDatabaseCluster> UpAsync()
    {
        if ((await LeaderAsync()).Length > 0)
        {
            await Repository.ScriptAsync(Script, "wait");
            return new CentralDatabaseCluster(startedHere: false);
        }
        await Repository.ScriptAsync(Script, "up");
        return new CentralDatabaseCluster(startedHere: true);
    }

    /// <summary>The leader's member name (rtd-pg1, rtd-pg2), empty while there is none.</summary>
    public static async Task<string> LeaderAsync() => (await Repository.ScriptAsync(Script, "leader")).Trim();

    /// <summary>SIGKILLs the leader's Patroni and PostgreSQL (the loss of its machine); returns the killed member's name.</summary>
    public static async Task<string> KillPrimaryAsync() => (await Repository.ScriptAsync(Script, "kill-primary")).Trim();

    /// <summary>
    /// Drops <paramref name="database"/> (none if empty); then takes the cluster down if this run started it, else starts Patroni again on
    /// a killed member (it rejoins as the synchronous standby in about 30 s) and leaves the cluster running.
    /// </summary>
    public async Task ReleaseAsync(string database)
    {
        if (StartedHere)
        {
            await Repository.ScriptAsync(Script, "down");
            return;
        }
        if (database.Length > 0)
        {
            // not pooled: a pooled connection may be one to a primary killed since
            await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        await Repository.ScriptAsync(Script, "rejoin");
    }
}
