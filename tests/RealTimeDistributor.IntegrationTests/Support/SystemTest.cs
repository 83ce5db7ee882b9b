using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Cli.Wan;
using RealTimeDistributor.Client.View;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>
/// The base of a test on the real services: a whole <see cref="RtdSystem"/> and one site of it, started before each test
/// and removed after it. A test class overrides only what is special about it: the central settings, whether the site's
/// distributor (instance a) and a client (workstation ws1) start with the system, and their settings. (This file uses
/// xunit, so the benchmark project, which compiles the rest of this folder, leaves it out.)
/// </summary>
public abstract class SystemTest : IAsyncLifetime
{
    private FaultProxy? _databaseProxy;

    protected RtdSystem Rtd { get; private set; } = null!;

    /// <summary>The site's id: <see cref="RtdSystem.Site"/> of <see cref="SiteName"/>.</summary>
    protected string Site { get; private set; } = "";

    /// <summary>The site's distributor, when <see cref="StartsDistributor"/>.</summary>
    protected WebApplication Distributor { get; private set; } = null!;

    /// <summary>The site's client, when <see cref="StartsClient"/>.</summary>
    protected WebApplication Client { get; private set; } = null!;

    /// <summary>The view of <see cref="Client"/>.</summary>
    protected ClientView View { get; private set; } = null!;

    protected virtual string SiteName => "a";

    /// <summary>Settings of the central controller over those RtdSystem.StartAsync sets (RealTime:Simulate is false, for one).</summary>
    protected virtual Dictionary<string, string?>? CentralSettings => null;

    protected virtual bool StartsDistributor => false;

    protected virtual Dictionary<string, string?>? DistributorSettings => null;

    /// <summary>Whether a client of the site starts (after the distributor, when both do).</summary>
    protected virtual bool StartsClient => false;

    protected virtual string Workstation => "ws1";

    protected virtual Dictionary<string, string?> ClientSettings => [];

    public virtual async Task InitializeAsync()
    {
        Rtd = await RtdSystem.StartAsync(CentralSettings);
        Site = Rtd.Site(SiteName);
        if (StartsDistributor)
        {
            Distributor = await Rtd.StartDistributorAsync(Site, extra: DistributorSettings);
        }
        if (StartsClient)
        {
            Client = await Rtd.StartClientAsync(Site, Workstation, ClientSettings);
            View = Client.Services.GetRequiredService<ClientView>();
        }
    }

    public virtual async Task DisposeAsync()
    {
        await Rtd.DisposeAsync();
        if (_databaseProxy is not null)
        {
            await _databaseProxy.DisposeAsync();
        }
    }

    /// <summary>A proxy in front of PostgreSQL that the test can cut and restore (made on first use, removed with the system).</summary>
    protected FaultProxy DatabaseProxy => _databaseProxy ??= DatabaseProxies.ToPostgres();

    /// <summary>Starts the site's distributor with its replica reached through <see cref="DatabaseProxy"/>.</summary>
    protected Task<WebApplication> StartDistributorBehindDatabaseProxyAsync() =>
        Rtd.StartDistributorAsync(Site, extra: new() { ["ConnectionStrings:Replica"] = DatabaseProxy.ConnectionString(Rtd.ReplicaDatabase(Site)) });

    /// <summary>Puts one configuration row through the admin API and asserts that it was accepted.</summary>
    protected async Task PutAsync(string table, long id, object row, long? ifMatch = null) =>
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync(table, id, row, ifMatch)).StatusCode);

    /// <summary>Peripheral 1 ("ACD 1"), which the skill groups, agents and services of the tests belong to.</summary>
    protected Task SeedPeripheralAsync() => PutAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" });
}
