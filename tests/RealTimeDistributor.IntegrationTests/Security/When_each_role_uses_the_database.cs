using System.Diagnostics;
using System.Net;
using Npgsql;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Security;

/// <summary>
/// infra/postgres/apply-roles.sh, run for this test's own sites and databases: the central controller's role and each
/// distributor's role own their one database, run their host there (migrations included), and cannot open another's.
/// </summary>
public sealed class When_each_role_uses_the_database(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _id = RtdSystem.NewId();
    private readonly string _controllerPassword = Guid.NewGuid().ToString("N");
    private readonly string _distributorPassword = Guid.NewGuid().ToString("N");
    private RtdSystem? _system;

    private string SiteA => $"t{_id}-a";

    private string SiteB => $"t{_id}-b";

    private string Controller => $"rtd_test_{_id}_controller";

    private string CentralDatabase => $"rtd_test_{_id}_central";

    private static string Distributor(string site) => $"rtd_{site.Replace('-', '_')}_distributor";

    private static string Replica(string site) => $"rtd_test_{site.Replace('-', '_')}";

    public async Task InitializeAsync()
    {
        // the central database exists already, made under the shared role with a table in it: the script hands both over
        await using (var postgres = new NpgsqlConnection(TestSettings.ConnectionString("postgres")))
        {
            await postgres.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{CentralDatabase}\"", postgres);
            await create.ExecuteNonQueryAsync();
        }
        await using (var central = new NpgsqlConnection(TestSettings.ConnectionString(CentralDatabase)))
        {
            await central.OpenAsync();
            await using var table = new NpgsqlCommand("CREATE TABLE made_before (id int)", central);
            await table.ExecuteNonQueryAsync();
        }
        var script = Repository.PathOf("infra/postgres/apply-roles.sh");
        var start = new ProcessStartInfo("bash", [script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["RTD_SITES"] = $"{SiteA} {SiteB}";
        start.Environment["RTD_POSTGRES_PORT"] = TestSettings.PostgresPort;
        start.Environment["RTD_POSTGRES_CONTROLLER_USER"] = Controller;
        start.Environment["RTD_POSTGRES_CONTROLLER_PASSWORD"] = _controllerPassword;
        start.Environment["RTD_POSTGRES_DISTRIBUTOR_PASSWORD"] = _distributorPassword;
        start.Environment["RTD_POSTGRES_CENTRAL_DATABASE"] = CentralDatabase;
        start.Environment["RTD_POSTGRES_REPLICA_DATABASE_PREFIX"] = "rtd_test_";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        output.WriteLine(await stdout + await stderr);
        Assert.True(process.ExitCode == 0, $"apply-roles.sh exited {process.ExitCode}: {await stderr}");
    }

    public async Task DisposeAsync()
    {
        // the test's all-rights role may drop what the role users own once it is a member of them
        foreach (var role in new[] { Controller, Distributor(SiteA), Distributor(SiteB) })
        {
            await PostgresAsync($"GRANT \"{role}\" TO \"{TestSettings.PostgresUser}\"", check: false); // fails only if the script did not get that far
        }
        if (_system is not null)
        {
            await _system.DisposeAsync();
        }
        foreach (var database in new[] { CentralDatabase, Replica(SiteA), Replica(SiteB) })
        {
            await PostgresAsync($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)");
        }
        foreach (var role in new[] { Controller, Distributor(SiteA), Distributor(SiteB) })
        {
            await PostgresAsync($"DROP ROLE IF EXISTS \"{role}\"");
        }
    }

    [Fact]
    public async Task Should_let_each_role_write_only_its_own_database()
    {
        await WriteAsync(Controller, _controllerPassword, CentralDatabase);
        await WriteAsync(Distributor(SiteA), _distributorPassword, Replica(SiteA));
        await WriteAsync(Distributor(SiteB), _distributorPassword, Replica(SiteB));

        var refused = new List<(string Role, string Database)>
        {
            (Distributor(SiteA), CentralDatabase),
            (Distributor(SiteA), Replica(SiteB)),
            (Distributor(SiteB), Replica(SiteA)),
            (Controller, Replica(SiteA)),
            (Controller, Replica(SiteB)),
        };
        foreach (var (role, database) in refused)
        {
            var password = role == Controller ? _controllerPassword : _distributorPassword;
            var exception = await Assert.ThrowsAsync<PostgresException>(() => WriteAsync(role, password, database));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, exception.SqlState);
            Assert.Contains($"permission denied for database \"{database}\"", exception.MessageText, StringComparison.Ordinal);
        }
        Assert.Equal(Controller, await ScalarAsync(Controller, _controllerPassword, CentralDatabase,
            $"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{CentralDatabase}'"));
        Assert.Equal(Controller, await ScalarAsync(Controller, _controllerPassword, CentralDatabase, "SELECT tableowner FROM pg_tables WHERE tablename = 'made_before'"));
        // no role may create a database of its own either
        var create = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(Distributor(SiteA), _distributorPassword, Replica(SiteA),
            $"CREATE DATABASE rtd_test_{_id}_rogue"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, create.SqlState);
        output.WriteLine($"{refused.Count + 1} operations across a boundary refused");
    }

    [Fact]
    public async Task Should_run_the_central_controller_and_a_distributor_under_their_roles()
    {
        _system = await RtdSystem.StartAsync(new() { ["ConnectionStrings:Central"] = ConnectionString(Controller, _controllerPassword, CentralDatabase) }, _id);
        Assert.Equal(CentralDatabase, _system.CentralDatabase);
        var distributor = await _system.StartDistributorAsync(SiteA, extra: new()
        {
            ["ConnectionStrings:Replica"] = ConnectionString(Distributor(SiteA), _distributorPassword, Replica(SiteA)),
        });
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" })).StatusCode);
        await Eventually.Until(async () => (await _system.StatsAsync(distributor)).GetProperty("appliedConfigSequence").GetInt64(), a => a == 1,
            "the change applied by the distributor under its own role");
        Assert.Equal(Distributor(SiteA), await ScalarAsync(Distributor(SiteA), _distributorPassword, Replica(SiteA),
            "SELECT tableowner FROM pg_tables WHERE tablename = 'sync_state'"));
    }

    private static string ConnectionString(string role, string password, string database) =>
        $"Host={TestSettings.PostgresHost};Port={TestSettings.PostgresPort};Database={database};Username={role};Password={password};Pooling=false";

    private static Task WriteAsync(string role, string password, string database) =>
        ExecuteAsync(role, password, database, "CREATE TABLE IF NOT EXISTS role_probe (id int); INSERT INTO role_probe VALUES (1)");

    private static async Task ExecuteAsync(string role, string password, string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(role, password, database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(string role, string password, string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(role, password, database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    /// <summary>As the superuser, over the local socket (as apply-roles.sh does).</summary>
    private static async Task PostgresAsync(string sql, bool check = true)
    {
        var start = new ProcessStartInfo("runuser", ["-u", "postgres", "--", "psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-p", TestSettings.PostgresPort, "-c", sql])
        {
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        using var process = Process.Start(start)!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(!check || process.ExitCode == 0, $"psql {sql}: {error}");
    }
}
