using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Npgsql;
using RealTimeDistributor.Central;
using RealTimeDistributor.Client;
using RealTimeDistributor.Distributor;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>
/// A whole RealTimeDistributor system for one test, on the real broker and database: a central vhost and database of its
/// own, and per site a vhost and a replica database, all named after a random id and removed at the end. Hosts run
/// in-process (the same Build methods the executables use) so tests can read their state.
/// </summary>
public sealed class RtdSystem : IAsyncDisposable
{
    private readonly Broker _broker = new();
    private readonly List<WebApplication> _apps = [];
    private readonly List<string> _vhosts = [];
    private readonly List<string> _databases = [];

    private RtdSystem(string id) => Id = id;

    public string Id { get; }

    public string CentralVirtualHost => $"rtd-test-{Id}-central";

    public string CentralDatabase => $"rtd_test_{Id}_central";

    public WebApplication Central { get; private set; } = null!;

    public HttpClient CentralApi { get; private set; } = null!;

    public Broker Broker => _broker;

    public string Site(string name) => $"t{Id}-{name}";

    public string ReplicaDatabase(string site) => $"rtd_test_{site.Replace('-', '_')}";

    public static async Task<RtdSystem> StartAsync(Dictionary<string, string?>? centralSettings = null)
    {
        var system = new RtdSystem(Guid.NewGuid().ToString("N")[..8]);
        await system._broker.CreateVirtualHostAsync(system.CentralVirtualHost);
        system._vhosts.Add(system.CentralVirtualHost);
        system._databases.Add(system.CentralDatabase);
        var settings = system.Common();
        settings["ConnectionStrings:Central"] = TestSettings.ConnectionString(system.CentralDatabase);
        settings["RealTime:Simulate"] = "false";
        foreach (var (key, value) in centralSettings ?? [])
        {
            settings[key] = value;
        }
        system.Central = await system.StartAsync(CentralHost.Build, settings);
        system.CentralApi = new HttpClient { BaseAddress = new Uri(system.Central.Urls.First()) };
        return system;
    }

    public async Task<WebApplication> StartDistributorAsync(string site, string instance = "a", Dictionary<string, string?>? extra = null)
    {
        await EnsureSiteAsync(site);
        var settings = Common();
        settings["Distributor:Site"] = site;
        settings["Distributor:Instance"] = instance;
        settings["ConnectionStrings:Replica"] = TestSettings.ConnectionString(ReplicaDatabase(site));
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        return await StartAsync(DistributorHost.Build, settings);
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
        settings["Client:Site"] = site;
        settings["Client:Workstation"] = workstation;
        for (var i = 0; i < bindings.Length; i++)
        {
            settings[$"Client:Bindings:{i}"] = bindings[i];
        }
        return await StartAsync(ClientHost.Build, settings);
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

    private async Task EnsureSiteAsync(string site)
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
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    private async Task<WebApplication> StartAsync(Func<string[], Action<WebApplicationBuilder>?, WebApplication> build, Dictionary<string, string?> settings)
    {
        var app = build([], b => b.Configuration.AddInMemoryCollection(settings));
        await app.StartAsync();
        _apps.Add(app);
        return app;
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
