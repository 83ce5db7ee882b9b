using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Central;
using RealTimeDistributor.Client;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Testing;

/// <summary>
/// A whole RealTimeDistributor system for one test, on the real broker and database: a central vhost and database of its
/// own, and per site a vhost and a replica database, all named after a random id and removed at the end. Hosts run
/// in-process (the same Build methods the executables use) so tests can read their state.
/// </summary>
public sealed class RtdSystem : IAsyncDisposable
{
    private readonly Broker _broker;
    private readonly List<WebApplication> _apps = [];
    private readonly List<string> _vhosts = [];
    private readonly List<string> _databases = [];
    private readonly List<System.Diagnostics.Process> _processes = [];

    private RtdSystem(string id, bool onCluster)
    {
        Id = id;
        OnCluster = onCluster;
        _broker = onCluster ? new Broker(TestSettings.ClusterManagementPorts) : new Broker();
    }

    /// <summary>The system runs on the three-node central cluster (infra/rabbitmq/cluster.sh), not the single broker.</summary>
    public bool OnCluster { get; }

    /// <summary>This system's admin API keys (random per system): the editor's (key name "test-editor") and a reader's ("test-reader").</summary>
    public string EditorKey { get; } = Guid.NewGuid().ToString("N");

    public string ReaderKey { get; } = Guid.NewGuid().ToString("N");

    public string Id { get; }

    public string CentralVirtualHost => CentralVirtualHostOf(Id);

    public string CentralDatabase => $"rtd_test_{Id}_central";

    public WebApplication Central { get; private set; } = null!;

    /// <summary>
    /// The admin API as the editor "test-editor" that edits without naming versions (force, last writer wins) unless a
    /// request carries If-Match: what the tests that are not about versions need. <see cref="NewCentralApi"/> for others.
    /// </summary>
    public HttpClient CentralApi { get; private set; } = null!;

    /// <summary>A new client of the admin API with <paramref name="key"/> (none: anonymous), forcing edits without If-Match when <paramref name="force"/>.</summary>
    public HttpClient NewCentralApi(string? key, bool force = false)
    {
        var http = force ? new HttpClient(new ForceUnlessVersioned { InnerHandler = new HttpClientHandler() }) : new HttpClient();
        http.BaseAddress = new Uri(Central.Urls.First());
        if (key is not null)
        {
            http.DefaultRequestHeaders.Add(AdminApiKey.Header, key);
        }
        return http;
    }

    /// <summary>Adds ?force=true to an edit (PUT, DELETE, POST) that names no version in If-Match.</summary>
    private sealed class ForceUnlessVersioned : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Method != HttpMethod.Get && request.Headers.IfMatch.Count == 0 && !request.Headers.Contains("If-Match")
                && request.RequestUri is { } uri && !uri.OriginalString.Contains("force=", StringComparison.Ordinal))
            {
                request.RequestUri = new Uri(uri.OriginalString + (uri.OriginalString.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "force=true",
                    uri.IsAbsoluteUri ? UriKind.Absolute : UriKind.Relative);
            }
            return base.SendAsync(request, cancellationToken);
        }
    }

    public Broker Broker => _broker;

    public string Site(string name) => $"t{Id}-{name}";

    public string ReplicaDatabase(string site) => $"rtd_test_{site.Replace('-', '_')}";

    /// <summary>A new random id for StartAsync, for a test that prepares the vhosts (users, permissions) first.</summary>
    public static string NewId() => Guid.NewGuid().ToString("N")[..8];

    public static string CentralVirtualHostOf(string id) => $"rtd-test-{id}-central";

    public static async Task<RtdSystem> StartAsync(Dictionary<string, string?>? centralSettings = null, string? id = null, bool onCluster = false)
    {
        var system = new RtdSystem(id ?? NewId(), onCluster);
        await system._broker.CreateVirtualHostAsync(system.CentralVirtualHost);
        system._vhosts.Add(system.CentralVirtualHost);
        system._databases.Add(system.CentralDatabase);
        var settings = new CentralHostSettings(TestSettings.ConnectionString(system.CentralDatabase)) { Simulate = false }.AddTo(system.Common());
        foreach (var (key, value) in centralSettings ?? [])
        {
            settings[key] = value;
        }
        system.Central = await system.StartAsync(CentralHost.Build, settings);
        system.CentralApi = system.NewCentralApi(system.EditorKey, force: true);
        return system;
    }

    public async Task<WebApplication> StartDistributorAsync(string site, string instance = "a", Dictionary<string, string?>? extra = null)
    {
        await EnsureSiteAsync(site);
        var settings = new DistributorHostSettings(site, TestSettings.ConnectionString(ReplicaDatabase(site))) { Instance = instance }.AddTo(Common());
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        var app = await StartAsync(DistributorHost.Build, settings);
        // the first-start snapshot is loaded before the test goes on, so it does not race the test's own edits
        await app.Services.GetRequiredService<RealTimeDistributor.Distributor.Config.ConfigStream>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        return app;
    }

    public Task<WebApplication> StartClientAsync(string site, string workstation, params string[] bindings) =>
        StartClientAsync(site, workstation, [], bindings);

    public async Task<WebApplication> StartClientAsync(string site, string workstation, Dictionary<string, string?> extra, params string[] bindings)
    {
        await EnsureSiteAsync(site);
        var settings = Common();
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return await StartAsync(ClientHost.Build, new ClientHostSettings(site, workstation) { Bindings = bindings }.AddTo(settings));
    }

    public async Task<HttpResponseMessage> PutConfigAsync(string table, long id, object row, long? ifMatch = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/config/{table}/{id}") { Content = JsonContent.Create(row) };
        if (ifMatch is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-Match", version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return await CentralApi.SendAsync(request);
    }

    /// <summary>Publishes raw messages to the central configuration exchange, as the relay would (or as a faulty one might).</summary>
    public async Task PublishToCentralConfigAsync(params ConfigChanged[] changes)
    {
        var settings = new RabbitMqSettings(TestSettings.RabbitHost, TestSettings.RabbitPort, TestSettings.RabbitUser, TestSettings.RabbitPassword,
            false, TimeSpan.FromSeconds(10), CentralVirtualHost);
        await using var publisher = new ConfirmingPublisher(settings, CentralVirtualHost, "rtd test", [Topology.Central.ConfigExchange],
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        await publisher.PublishAsync([.. changes.Select(c => new OutgoingMessage(Topology.Central.ConfigExchange,
            Topology.Central.ConfigRoutingKey(c.Table, c.Operation), Json.Serialize(c), $"test-{c.Sequence}"))], CancellationToken.None);
    }

    /// <summary>Waits for the one message in the central vhost's <paramref name="errorQueue"/> and reads it without taking it.</summary>
    public async Task<ReadMessage> ErrorMessageAsync(string errorQueue)
    {
        await Eventually.Until(async () => (await Broker.QueueAsync(CentralVirtualHost, errorQueue))?.Messages ?? 0, m => m == 1,
            $"one message in {errorQueue}");
        return await QueueReader.PeekAsync(CentralVirtualHost, errorQueue, TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException($"{errorQueue} had a message, then none.");
    }

    public async Task<System.Text.Json.JsonElement> StatsAsync(WebApplication app)
    {
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        return await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/stats");
    }

    /// <summary>One whole number from the central database (a count, a sequence).</summary>
    public async Task<long> CentralScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(CentralDatabase));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<T?> QueryReplicaAsync<T>(string site, string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(ReplicaDatabase(site)));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        var result = await command.ExecuteScalarAsync();
        return result is null or DBNull ? default : (T)result;
    }

    /// <summary>
    /// The last configuration change <paramref name="site"/>'s replica applied (sync_state.applied_config_sequence); -1
    /// while no distributor has created the replica yet.
    /// </summary>
    public Task<long> AppliedSequenceAsync(string site) => SyncStateAsync(site, "applied_config_sequence");

    /// <summary>The last site sequence <paramref name="site"/>'s distributor handed out (sync_state.site_sequence); -1 before the replica exists.</summary>
    public Task<long> SiteSequenceAsync(string site) => SyncStateAsync(site, "site_sequence");

    /// <summary>Waits until <paramref name="site"/>'s replica has applied change <paramref name="sequence"/>, and no further.</summary>
    public Task<long> WaitAppliedAsync(string site, long sequence, TimeSpan? timeout = null) =>
        Eventually.Until(() => AppliedSequenceAsync(site), applied => applied == sequence, $"{site}'s replica at change {sequence}", timeout);

    /// <summary>
    /// Waits until <paramref name="site"/>'s replica holds the changes through <paramref name="applied"/> and
    /// <paramref name="realTimeRows"/> real-time rows of <paramref name="table"/> (any table if null) at
    /// <paramref name="version"/>: what a client's snapshot loads. Not a site sequence, which a takeover's reset message
    /// or rows grouped into site messages move.
    /// </summary>
    public async Task WaitReplicaHoldsAsync(string site, long applied, long realTimeRows, long version, string? table = null)
    {
        await WaitAppliedAsync(site, applied, TimeSpan.FromSeconds(60));
        var ofTable = table is null ? "" : $" AND table_name = '{table}'";
        await Eventually.Until(() => QueryReplicaAsync<long>(site, $"SELECT count(*) FROM realtime_row WHERE version = {version}{ofTable}"),
            n => n == realTimeRows, $"{realTimeRows} real-time rows at version {version} in {site}'s replica");
    }

    private async Task<long> SyncStateAsync(string site, string column)
    {
        try
        {
            return await QueryReplicaAsync<long>(site, $"SELECT coalesce(max({column}), -1) FROM sync_state");
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable)
        {
            return -1; // a distributor (perhaps a process of its own) is still creating the replica
        }
    }

    /// <summary>Declares a site's vhost and registers its vhost and replica for clean-up (for hosts a test runs as processes).</summary>
    public async Task EnsureSiteAsync(string site)
    {
        var vhost = $"rtd-{site}";
        if (!_vhosts.Contains(vhost))
        {
            await _broker.CreateVirtualHostAsync(vhost);
            _vhosts.Add(vhost);
            _databases.Add(ReplicaDatabase(site));
        }
    }

    private Dictionary<string, string?> Common() => new()
    {
        ["Urls"] = "http://127.0.0.1:0",
        ["RabbitMq:Host"] = TestSettings.RabbitHost,
        ["RabbitMq:Port"] = TestSettings.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq:Username"] = TestSettings.RabbitUser,
        ["RabbitMq:Password"] = TestSettings.RabbitPassword,
        ["RabbitMq:CentralVirtualHost"] = CentralVirtualHost,
        ["RabbitMq:Hosts"] = OnCluster ? TestSettings.ClusterHosts : null,
        ["Serilog:MinimumLevel:Default"] = Environment.GetEnvironmentVariable("RTD_TEST_LOG_LEVEL") ?? "Warning",
        // the center's admin API keys (only the center reads them; here so that a center run as a process has them too)
        ["Admin:Keys:test-editor:Hash"] = AdminApiKey.HashOf(EditorKey),
        ["Admin:Keys:test-editor:Role"] = "editor",
        ["Admin:Keys:test-reader:Hash"] = AdminApiKey.HashOf(ReaderKey),
        ["Admin:Keys:test-reader:Role"] = "reader",
    };

    private async Task<WebApplication> StartAsync(Func<string[], Action<WebApplicationBuilder>?, WebApplication> build, Dictionary<string, string?> settings)
    {
        var app = build([], b => b.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        _apps.Add(app);
        return app;
    }

    /// <summary>
    /// Runs a host executable as a process of its own (so a test can SIGKILL it), on this system's broker settings and
    /// central vhost plus <paramref name="environment"/>; killed at the end of the test if still running.
    /// </summary>
    public System.Diagnostics.Process StartProcess(string project, Dictionary<string, string> environment)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [Binaries.Path(project)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (key, value) in Common())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        return Track(System.Diagnostics.Process.Start(start)!);
    }

    /// <summary>
    /// Runs instance <paramref name="instance"/> of <paramref name="site"/>'s distributor as a process of its own (so a test
    /// can SIGKILL it), with <paramref name="environment"/> besides.
    /// </summary>
    public System.Diagnostics.Process StartDistributorProcess(string site, string instance, Dictionary<string, string>? environment = null) =>
        StartProcess("RealTimeDistributor.Distributor",
            new DistributorHostSettings(site, TestSettings.ConnectionString(ReplicaDatabase(site))) { Instance = instance }.AddToEnvironment(new(environment ?? [])));

    /// <summary>
    /// Kills <paramref name="process"/> (and its children) at the end of the test if it still runs. Its output is dropped,
    /// unless RTD_TEST_PROCESS_LOGS names a folder: then it goes to {folder}/{name}-{pid}.log (for a failure to look into).
    /// </summary>
    public System.Diagnostics.Process Track(System.Diagnostics.Process process)
    {
        var log = TestSettings.ProcessLog(process);
        process.OutputDataReceived += (_, line) => log?.WriteLine(line.Data);
        process.ErrorDataReceived += (_, line) => log?.WriteLine(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    /// <summary>Stops one host the way Ctrl-C would.</summary>
    public async Task StopAsync(WebApplication app)
    {
        await app.StopAsync();
        await app.DisposeAsync();
        _apps.Remove(app);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        foreach (var app in Enumerable.Reverse(_apps).ToList())
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
        CentralApi?.Dispose();
        foreach (var vhost in _vhosts)
        {
            await _broker.DeleteVirtualHostAsync(vhost);
        }
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString("postgres"));
        await connection.OpenAsync();
        foreach (var database in _databases)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        _broker.Dispose();
    }
}
