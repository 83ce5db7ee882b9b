using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>A client workstation of the run and what it binds.</summary>
public sealed record ChaosClient(string Site, string Workstation, IReadOnlyList<string> Bindings)
{
    public required HostProcess Process { get; set; }
}

/// <summary>
/// The whole system of one chaos run, as processes: the center, two distributor instances (a, b) per site (reaching the
/// broker through the site's <see cref="BrokerLinks"/>) and two clients
/// per site: ws1 bound to everything, ws2 bound to some keys only ("agent.*", "skillgroup.1", "skillgroup.2") with a
/// queue of <see cref="SmallQueue"/> messages, so a pause overflows it. Everything is named after a random id (vhosts
/// rtd-chaos-{id}-central and rtd-c{id}-{a,b..}, databases rtd_chaos_{id}_*), so a run never touches the tests', the
/// demo's or another run's, and is removed at the end.
/// </summary>
public sealed class ChaosSystem : IAsyncDisposable
{
    public const int SmallQueue = 50;
    public static readonly IReadOnlyList<string> FilteredBindings = ["agent.*", "skillgroup.1", "skillgroup.2"];

    private readonly List<string> _vhosts = [];
    private readonly List<string> _databases = [];
    private readonly string _pgPassword = Demo.Env("RTD_POSTGRES_PASSWORD", "local-demo-rtd");

    private ChaosSystem(BrokerEndpoint broker, string logFolder, int siteCount, string? centralDatabaseAddress)
    {
        Broker = broker;
        CentralDatabaseAddress = centralDatabaseAddress;
        Management = new ChaosBroker(broker);
        LogFolder = Path.Combine(logFolder, Id);
        Sites = [.. Enumerable.Range(0, siteCount).Select(i => $"c{Id}-{(char)('a' + i)}")];
    }

    public string Id { get; } = Guid.NewGuid().ToString("N")[..8];

    public BrokerEndpoint Broker { get; }

    /// <summary>host:port of the central database when not the shared PostgreSQL: HAProxy of infra/postgres/ha.sh.</summary>
    public string? CentralDatabaseAddress { get; }

    public ChaosBroker Management { get; }

    public string LogFolder { get; }

    public IReadOnlyList<string> Sites { get; }

    public string CentralVirtualHost => $"rtd-chaos-{Id}-central";

    public string CentralDatabase => $"rtd_chaos_{Id}_central";

    public string ReplicaDatabase(string site) => $"rtd_{site.Replace('-', '_')}";

    /// <summary>The admin API key of this run's editor ("chaos").</summary>
    public string AdminKey { get; } = Guid.NewGuid().ToString("N");

    public HostProcess Central { get; private set; } = null!;

    /// <summary>The second central controller on the same database (issue 27): whichever of the two holds the central lease is active.</summary>
    public HostProcess CentralStandby { get; private set; } = null!;

    /// <summary>Both central controllers.</summary>
    public IEnumerable<HostProcess> Centers => [Central, CentralStandby];

    /// <summary>Per site, instances "a" and "b".</summary>
    public Dictionary<string, Dictionary<string, HostProcess>> Distributors { get; } = [];

    public List<ChaosClient> Clients { get; } = [];

    /// <summary>Per site, the link between its distributors and the broker (a <see cref="FaultProxy"/>, healthy until a scenario slows or breaks it).</summary>
    public Dictionary<string, FaultProxy> BrokerLinks { get; } = [];

    /// <summary>The newest real-time version the runs on this system published per (table, key).</summary>
    public ConcurrentDictionary<(string Table, string Key), long> RealTimeSent { get; } = new();

    /// <summary>Every host of the run.</summary>
    public IEnumerable<HostProcess> Hosts => [Central, CentralStandby, .. Distributors.Values.SelectMany(d => d.Values), .. Clients.Select(c => c.Process)];

    /// <summary>
    /// Runs <paramref name="run"/> on a system of its own (shared broker) whose center's database is the Patroni cluster
    /// of infra/postgres/ha.sh (<see cref="CentralDatabaseCluster"/>: the running one, or one started for it), then removes
    /// the system and its central database, and takes the cluster down if it was started here.
    /// </summary>
    public static async Task<T> OnCentralDatabaseClusterAsync<T>(string logFolder, int sites, Func<ChaosSystem, Task<T>> run, CancellationToken cancellationToken)
    {
        var cluster = await CentralDatabaseCluster.UpAsync();
        ChaosSystem? system = null;
        try
        {
            system = await StartAsync(BrokerEndpoint.Shared(), logFolder, sites, cancellationToken, CentralDatabaseCluster.Address);
            return await run(system);
        }
        finally
        {
            if (system is not null)
            {
                await system.DisposeAsync();
            }
            await cluster.ReleaseAsync(system?.CentralDatabase ?? "");
        }
    }

    public static async Task<ChaosSystem> StartAsync(BrokerEndpoint broker, string logFolder, int sites, CancellationToken cancellationToken,
        string? centralDatabaseAddress = null)
    {
        var system = new ChaosSystem(broker, logFolder, sites, centralDatabaseAddress);
        try
        {
            await system.StartAsync(cancellationToken);
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await Management.CreateVirtualHostAsync(CentralVirtualHost);
        _vhosts.Add(CentralVirtualHost);
        _databases.Add(CentralDatabase);
        // no simulation: the run publishes the real-time rows itself, so it knows the newest version of each
        var center = new CentralHostSettings(ConnectionString(CentralDatabase)) { Simulate = false }
            .AddToEnvironment(new(Common().Concat(AdminApiClient.CenterSettings("chaos", AdminKey))));
        Central = HostProcess.Start("central", "RealTimeDistributor.Central", FreeUrl(), LogFolder, center);
        await HostProcess.WaitHealthyAsync([Central], cancellationToken);
        // the second center after the first is up (it applied the migrations and holds the central lease): the standby
        CentralStandby = HostProcess.Start("central-b", "RealTimeDistributor.Central", FreeUrl(), LogFolder, center);
        // the peripheral, skill groups, agents and call types the edit load changes (without them most edits are refused)
        using (var admin = AdminApiClient.Create(Central.Url, TimeSpan.FromSeconds(30), AdminKey))
        {
            await EditLoad.SeedAsync(admin, cancellationToken);
        }
        foreach (var site in Sites)
        {
            await Management.CreateVirtualHostAsync($"rtd-{site}");
            _vhosts.Add($"rtd-{site}");
            _databases.Add(ReplicaDatabase(site));
            var link = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), Broker.Host, Broker.Port);
            link.Start();
            BrokerLinks[site] = link;
            // instance a first, alone: it creates the replica and loads the first-start snapshot; b is the standby
            Distributors[site] = new() { ["a"] = StartDistributor(site, "a") };
            await HostProcess.WaitHealthyAsync([Distributors[site]["a"]], cancellationToken);
            Distributors[site]["b"] = StartDistributor(site, "b");
            Clients.Add(StartClient(site, "ws1", [Topology.AllKeys]));
            Clients.Add(StartClient(site, "ws2", FilteredBindings, SmallQueue));
        }
        await HostProcess.WaitHealthyAsync(Hosts, cancellationToken);
    }

    private HostProcess StartDistributor(string site, string instance) =>
        HostProcess.Start($"distributor-{site}-{instance}", "RealTimeDistributor.Distributor", FreeUrl(), LogFolder,
            new DistributorHostSettings(site, ConnectionString(ReplicaDatabase(site))) { Instance = instance }.AddToEnvironment(new(Common())
            {
                ["RabbitMq__Port"] = BrokerLinks[site].Port.ToString(CultureInfo.InvariantCulture),
            }));

    private ChaosClient StartClient(string site, string workstation, IReadOnlyList<string> bindings, int queueMaxLength = Topology.Site.ClientQueueMaxLength)
    {
        var environment = new ClientHostSettings(site, workstation) { Bindings = bindings, QueueMaxLength = queueMaxLength }.AddToEnvironment(new(Common()));
        return new ChaosClient(site, workstation, bindings)
        {
            Process = HostProcess.Start($"client-{site}-{workstation}", "RealTimeDistributor.Client", FreeUrl(), LogFolder, environment),
        };
    }

    private Dictionary<string, string> Common() => new()
    {
        ["RabbitMq__Host"] = Broker.Host,
        ["RabbitMq__Port"] = Broker.Port.ToString(CultureInfo.InvariantCulture),
        ["RabbitMq__Username"] = Broker.User,
        ["RabbitMq__Password"] = Broker.Password,
        ["RabbitMq__CentralVirtualHost"] = CentralVirtualHost,
        ["PGPASSWORD"] = _pgPassword,
        ["Serilog__MinimumLevel__Default"] = Demo.Env("RTD_CHAOS_LOG_LEVEL", "Information"),
    };

    /// <summary>The run's own connection string for <paramref name="database"/>: not pooled, since scenarios terminate connections.</summary>
    public string ProbeConnectionString(string database) => ConnectionString(database) + ";Pooling=false";

    public string ConnectionString(string database)
    {
        var (host, port) = database == CentralDatabase && CentralDatabaseAddress?.Split(':') is [var h, var p]
            ? (h, p) : (Demo.Env("RTD_POSTGRES_HOST", "127.0.0.1"), Demo.Env("RTD_POSTGRES_PORT", "5432"));
        return $"Host={host};Port={port};Database={database};Username={Demo.Env("RTD_POSTGRES_USER", "rtd")};Password={_pgPassword}";
    }

    /// <summary>A loopback URL on a port nobody listens on now.</summary>
    private static Uri FreeUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
    }

    /// <summary>Restarts every host that is not running (after a kill), and waits until each answers /health.</summary>
    public async Task RestartStoppedAsync(CancellationToken cancellationToken)
    {
        if (Central.HasExited)
        {
            Central = Central.Restart();
        }
        if (CentralStandby.HasExited)
        {
            CentralStandby = CentralStandby.Restart();
        }
        foreach (var instances in Distributors.Values)
        {
            foreach (var (instance, host) in instances.ToList())
            {
                if (host.HasExited)
                {
                    instances[instance] = host.Restart();
                }
            }
        }
        foreach (var client in Clients.Where(c => c.Process.HasExited))
        {
            client.Process = client.Process.Restart();
        }
        await HostProcess.WaitHealthyAsync(Hosts, cancellationToken);
    }

    /// <summary>The central controller that says, at GET /stats, that it holds the central lease (null: none answers so).</summary>
    public async Task<HostProcess?> ActiveCenterAsync()
    {
        foreach (var center in Centers)
        {
            if (await HoldsCentralLeaseAsync(center) == true)
            {
                return center;
            }
        }
        return null;
    }

    /// <summary>What <paramref name="center"/> says at GET /stats of the central lease (null: it does not answer).</summary>
    public static async Task<bool?> HoldsCentralLeaseAsync(HostProcess center)
    {
        if (center.HasExited)
        {
            return null;
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            using var stats = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync(new Uri(center.Url, "/stats")));
            return stats.RootElement.TryGetProperty("leaseHolder", out var holder) ? holder.ValueKind == System.Text.Json.JsonValueKind.True : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            return null;
        }
    }

    /// <summary>The instance whose consumer is the single active one on <paramref name="site"/>'s central config queue.</summary>
    public async Task<string?> ActiveInstanceAsync(string site, string queue)
    {
        var active = await Management.ActiveConsumerAsync(CentralVirtualHost, queue);
        return Topology.Central.DistributorInstanceOf(site, active?.Name);
    }

    /// <summary>Drops a replica database with its connections (the distributors must be stopped first, or they recreate it).</summary>
    /// <summary>Per site whose replica was dropped: the newest real-time version published by then (<see cref="CenterState.RealTimeRecreatedAt"/>).</summary>
    public ConcurrentDictionary<string, long> RealTimeRecreatedAt { get; } = new();

    public async Task DropReplicaAsync(string site)
    {
        RealTimeRecreatedAt[site] = RealTimeSent.Values.DefaultIfEmpty(0).Max();
        await using var connection = new NpgsqlConnection(ProbeConnectionString("postgres"));
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{ReplicaDatabase(site)}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    /// <summary>Turns a site's replica read-only (or writable again), its sessions ended so that every new one has it.</summary>
    public Task SetReplicaReadOnlyAsync(string site, bool readOnly) =>
        Testing.ReplicaFaults.SetReadOnlyAsync(ProbeConnectionString("postgres"), ReplicaDatabase(site), readOnly);

    /// <summary>The last site sequence a replica applied, -1 while it does not exist.</summary>
    public async Task<long> AppliedAsync(string site)
    {
        try
        {
            await using var connection = new NpgsqlConnection(ProbeConnectionString(ReplicaDatabase(site)));
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT coalesce(max(applied_config_sequence), -1) FROM sync_state", connection);
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (NpgsqlException)
        {
            return -1; // the replica does not exist (yet), or is being dropped
        }
    }

    /// <summary>Reads the center, every replica and every client view, for the <see cref="Oracle"/>.</summary>
    public async Task<(CenterState Center, List<ReplicaState> Replicas, List<ClientState> Clients)> ProbeAsync()
    {
        var (centerSequence, centerRows) = await ReadDatabaseAsync(CentralDatabase,
            "SELECT coalesce(max(last_value), 0) FROM config_sequence");
        var replicas = new List<ReplicaState>();
        foreach (var site in Sites)
        {
            try
            {
                var (applied, rows) = await ReadDatabaseAsync(ReplicaDatabase(site), "SELECT coalesce(max(applied_config_sequence), -1) FROM sync_state");
                var twice = await ScalarAsync(ReplicaDatabase(site), "SELECT count(*) - count(DISTINCT central_sequence) FROM config_apply_log");
                replicas.Add(new ReplicaState(site, applied, twice, rows, await ReplicaRealTimeAsync(site)));
            }
            catch (NpgsqlException)
            {
                // the replica does not exist (yet)
                replicas.Add(new ReplicaState(site, -1, 0, RowSet.Empty, new Dictionary<(string, string), long>()));
            }
        }
        var clients = new List<ClientState>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var client in Clients)
        {
            clients.Add(await ClientStateAsync(http, client));
        }
        return (new CenterState(centerSequence, centerRows, RealTimeSent) { RealTimeRecreatedAt = RealTimeRecreatedAt }, replicas, clients);
    }

    private static async Task<ClientState> ClientStateAsync(HttpClient http, ChaosClient client)
    {
        try
        {
            var rows = await http.GetFromJsonAsync<List<ViewRowJson>>(new Uri(client.Process.Url, "/view"), new JsonSerializerOptions(JsonSerializerDefaults.Web)) ?? [];
            return new ClientState(client.Site, client.Workstation, client.Bindings,
                rows.Where(r => r.Kind == SiteUpdate.ConfigKind).ToDictionary(r => (r.Table, r.Key), r => r.Version),
                rows.Where(r => r.Kind == SiteUpdate.RealTimeKind).ToDictionary(r => (r.Table, r.Key), r => r.Version));
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new ClientState(client.Site, client.Workstation, client.Bindings, null, null);
        }
    }

    private sealed record ViewRowJson(string Kind, string Table, string Key, long Version);

    /// <summary>A database's sequence (<paramref name="sequenceSql"/>) and every configuration row, as one text of all its columns.</summary>
    private async Task<(long Sequence, RowSet Rows)> ReadDatabaseAsync(string database, string sequenceSql)
    {
        await using var connection = new NpgsqlConnection(ProbeConnectionString(database));
        await connection.OpenAsync();
        // one snapshot of the database for the sequence and all tables
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead);
        await using var sequence = new NpgsqlCommand(sequenceSql, connection, transaction);
        var last = (long)(await sequence.ExecuteScalarAsync())!;
        var rows = new Dictionary<(string, string), (string, long)>();
        foreach (var table in ConfigTables.All)
        {
            await using var command = new NpgsqlCommand($"SELECT id, config_sequence, row_to_json(t)::text FROM \"{table.Name}\" t", connection, transaction);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                rows[(table.Name, reader.GetInt64(0).ToString(CultureInfo.InvariantCulture))] = (reader.GetString(2), reader.GetInt64(1));
            }
        }
        return (last, new RowSet(rows));
    }

    private async Task<Dictionary<(string, string), long>> ReplicaRealTimeAsync(string site)
    {
        await using var connection = new NpgsqlConnection(ProbeConnectionString(ReplicaDatabase(site)));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT table_name, key, version FROM realtime_row", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<(string, string), long>();
        while (await reader.ReadAsync())
        {
            rows[(reader.GetString(0), reader.GetString(1))] = reader.GetInt64(2);
        }
        return rows;
    }

    private async Task<long> ScalarAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(ProbeConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Distributors.Values.SelectMany(d => d.Values).Concat(Clients.Select(c => c.Process)).Append(Central).Append(CentralStandby).Where(h => h is not null))
        {
            await host.DisposeAsync();
        }
        foreach (var link in BrokerLinks.Values)
        {
            await link.DisposeAsync();
        }
        foreach (var vhost in _vhosts)
        {
            await Management.DeleteVirtualHostAsync(vhost);
        }
        try
        {
            await using var connection = new NpgsqlConnection(ProbeConnectionString("postgres"));
            await connection.OpenAsync();
            foreach (var database in _databases)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
                await drop.ExecuteNonQueryAsync();
            }
        }
        catch (NpgsqlException)
        {
            // the database server is gone: nothing to remove
        }
        Management.Dispose();
    }
}
