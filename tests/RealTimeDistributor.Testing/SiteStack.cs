using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Npgsql;

namespace RealTimeDistributor.Testing;

/// <summary>
/// A site's own stack apart from the center (issue 14): a RabbitMQ node of its own (infra/rabbitmq/node.sh, AMQP on
/// RTD_TEST_SITE_RABBITMQ_PORT, default 5712, management on that + 10000) and a PostgreSQL instance of its own
/// (infra/postgres/instance.sh, RTD_TEST_SITE_POSTGRES_PORT, default 5442). Both scripts are idempotent: a node or instance
/// already running (started before the test run, outside its lock) is used and left running; one this stack started is
/// stopped at the end. Per site it makes the site's vhost on the node (the node's guest user, loopback only) and names
/// the replica database on the instance; both are removed at the end.
/// </summary>
public sealed class SiteStack : IAsyncDisposable
{
    private const string NodeName = "rtdtestsite";
    private const string InstanceName = "rtd-test-site";
    private readonly List<string> _vhosts = [];
    private readonly List<string> _databases = [];
    private readonly HttpClient _management;
    private bool _startedNode;
    private bool _startedInstance;

    private SiteStack()
    {
        _management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{RabbitPort + 10000}/api/") };
        _management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("guest:guest")));
    }

    public static int RabbitPort => Port("RTD_TEST_SITE_RABBITMQ_PORT", 5712);

    /// <summary>The site node's management HTTP API (api/), as guest (every right on the site node's vhosts).</summary>
    public HttpClient Management => _management;

    public static int PostgresPort => Port("RTD_TEST_SITE_POSTGRES_PORT", 5442);

    public static async Task<SiteStack> StartAsync()
    {
        var stack = new SiteStack();
        stack._startedNode = !(await Repository.ScriptAsync("infra/rabbitmq/node.sh", "start", NodeName, RabbitPort.ToString(CultureInfo.InvariantCulture)))
            .Contains("already running", StringComparison.Ordinal);
        stack._startedInstance = !(await Repository.ScriptAsync("infra/postgres/instance.sh", "start", InstanceName, PostgresPort.ToString(CultureInfo.InvariantCulture)))
            .Contains("already running", StringComparison.Ordinal);
        return stack;
    }

    /// <summary>Makes <paramref name="site"/>'s vhost on the site node and registers it and its replica database for removal.</summary>
    public async Task AddSiteAsync(string site, string replicaDatabase)
    {
        await AddVirtualHostAsync($"rtd-{site}");
        _databases.Add(replicaDatabase);
    }

    /// <summary>Makes <paramref name="vhost"/> on the site node (guest has every right on it) and registers it for removal.</summary>
    public async Task AddVirtualHostAsync(string vhost)
    {
        (await _management.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        (await _management.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/guest", new { configure = ".*", write = ".*", read = ".*" }))
            .EnsureSuccessStatusCode();
        _vhosts.Add(vhost);
    }

    /// <summary>
    /// Stops the site node (its data stays) and starts it again after <paramref name="down"/>: a graceful broker restart,
    /// or with <paramref name="crash"/> a crash (its Erlang VM killed with SIGKILL: no connection is closed, nothing flushed).
    /// </summary>
    public static async Task RestartNodeAsync(TimeSpan down, bool crash = false)
    {
        await StopNodeAsync(crash);
        await Task.Delay(down);
        await StartNodeAsync();
    }

    /// <summary>Stops the site node gracefully, or with <paramref name="crash"/> kills it (SIGKILL).</summary>
    public static Task StopNodeAsync(bool crash = false) => Repository.ScriptAsync("infra/rabbitmq/node.sh", crash ? "kill" : "stop", NodeName);

    /// <summary>Starts the site node and waits until it has started (node.sh start: its listener opens before that).</summary>
    public static Task StartNodeAsync() => Repository.ScriptAsync("infra/rabbitmq/node.sh", "start", NodeName, RabbitPort.ToString(CultureInfo.InvariantCulture));

    /// <summary>The keys of a broker section ("RabbitMq" for a client, "SiteRabbitMq" for a distributor) that point at the site node.</summary>
    public static Dictionary<string, string?> Broker(string section) => new()
    {
        [$"{section}:Host"] = "127.0.0.1",
        [$"{section}:Port"] = RabbitPort.ToString(CultureInfo.InvariantCulture),
        [$"{section}:Username"] = "guest",
        [$"{section}:Password"] = "guest",
    };

    /// <summary>A connection string to <paramref name="database"/> on the site's PostgreSQL instance.</summary>
    public static string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={PostgresPort};Database={database};Username={TestSettings.PostgresUser};Password={TestSettings.PostgresPassword}";

    public static async Task<T?> QueryAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>Every row of a query as "a|b|c" lines, from a database on the shared server or the site's instance.</summary>
    public static async Task<List<string>> RowsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    private static int Port(string variable, int fallback) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public async ValueTask DisposeAsync()
    {
        foreach (var vhost in _vhosts)
        {
            await _management.DeleteAsync($"vhosts/{Uri.EscapeDataString(vhost)}");
        }
        await using (var connection = new NpgsqlConnection(ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            foreach (var database in _databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
        _management.Dispose();
        if (_startedNode)
        {
            await Repository.ScriptAsync("infra/rabbitmq/node.sh", "stop", NodeName);
        }
        if (_startedInstance)
        {
            await Repository.ScriptAsync("infra/postgres/instance.sh", "stop", InstanceName);
            // the pooled connections to the stopped instance are dead: the next test would get them (57P01)
            NpgsqlConnection.ClearAllPools();
        }
    }
}
