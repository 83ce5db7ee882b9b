using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

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
    private RoleUsers? _roleUsers;

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

    /// <summary>Whether the system runs on the three-node central cluster (infra/rabbitmq/cluster.sh) instead of the single broker.</summary>
    protected virtual bool OnCluster => false;

    protected virtual bool StartsDistributor => false;

    protected virtual Dictionary<string, string?>? DistributorSettings => null;

    /// <summary>Whether a client of the site starts (after the distributor, when both do).</summary>
    protected virtual bool StartsClient => false;

    protected virtual string Workstation => "ws1";

    protected virtual Dictionary<string, string?> ClientSettings => [];

    public virtual async Task InitializeAsync()
    {
        Rtd = await RtdSystem.StartAsync(CentralSettings, onCluster: OnCluster);
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
        if (_roleUsers is not null)
        {
            await _roleUsers.DisposeAsync();
        }
        await Rtd.DisposeAsync();
        if (_databaseProxy is not null)
        {
            await _databaseProxy.DisposeAsync();
        }
    }

    /// <summary>
    /// The broker's role users of infra/rabbitmq/roles.conf for <paramref name="sites"/> (and <paramref name="workstations"/>)
    /// on this system's vhosts, named after its id (<see cref="RoleUsers"/>); deleted with the system. One set a test.
    /// </summary>
    protected async Task<RoleUsers> CreateRoleUsersAsync(IReadOnlyList<string> sites, IReadOnlyList<(string Site, string Workstation)>? workstations = null)
    {
        Assert.Null(_roleUsers);
        return _roleUsers = await RoleUsers.CreateAsync(Rtd.CentralVirtualHost, sites, $"{Rtd.Id}-", workstations);
    }

    /// <summary>A proxy in front of PostgreSQL that the test can cut and restore (made on first use, removed with the system).</summary>
    protected FaultProxy DatabaseProxy => _databaseProxy ??= DatabaseProxies.ToPostgres();

    /// <summary>Starts the site's distributor with its replica reached through <see cref="DatabaseProxy"/>.</summary>
    protected Task<WebApplication> StartDistributorBehindDatabaseProxyAsync() =>
        Rtd.StartDistributorAsync(Site, extra: new() { ["ConnectionStrings:Replica"] = DatabaseProxy.ConnectionString(Rtd.ReplicaDatabase(Site)) });

    /// <summary>Puts one configuration row through the admin API and asserts that it was accepted.</summary>
    protected async Task PutAsync(string table, long id, object row, long? ifMatch = null) =>
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync(table, id, row, ifMatch)).StatusCode);

    /// <summary>
    /// Loses one change on its way to the site: once the site's config queue is drained, stops <paramref name="distributor"/>,
    /// makes the change <paramref name="lost"/> and purges it from the queue, then makes <paramref name="after"/>, whose
    /// sequence follows the lost one: the next distributor sees a gap.
    /// </summary>
    protected async Task LoseOneChangeAsync(WebApplication distributor, Func<Task> lost, Func<Task> after)
    {
        var queue = Topology.Central.DistributorConfigQueue(Site);
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, queue))?.Messages ?? -1, m => m == 0, "the site's changes to be acknowledged");
        await Rtd.StopAsync(distributor);
        await lost();
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, queue))?.Messages ?? 0, m => m == 1, "the lost change to reach the site's queue");
        await Rtd.Broker.PurgeAsync(Rtd.CentralVirtualHost, queue);
        await after();
    }

    /// <summary>Publishes on the site's real-time exchange as the distributor does (the tests' user may publish there).</summary>
    protected Task PublishOnSiteAsync(params SiteUpdate[] updates) =>
        PublishOnSiteAsync([.. updates.Select(u => new OutgoingMessage(Topology.Site.RealTimeExchange(Site), Topology.Site.RealTimeRoutingKey(u.Table),
            Json.Serialize(u), $"test-{u.SiteSequence}"))]);

    /// <summary>Publishes <paramref name="messages"/> as they are (any body, such as one that is no site message) on the site's virtual host.</summary>
    protected async Task PublishOnSiteAsync(params OutgoingMessage[] messages)
    {
        var settings = new RabbitMqSettings(TestSettings.RabbitHost, TestSettings.RabbitPort, TestSettings.RabbitUser, TestSettings.RabbitPassword,
            false, TimeSpan.FromSeconds(10), Rtd.CentralVirtualHost);
        await using var publisher = new ConfirmingPublisher(settings, Topology.Site.VirtualHost(Site), "rtd test site publisher",
            [.. messages.Select(m => m.Exchange).Distinct()], NullLogger.Instance);
        await publisher.PublishAsync(messages, CancellationToken.None);
    }

    /// <summary>Peripheral 1 ("ACD 1"), which the skill groups, agents and services of the tests belong to.</summary>
    protected Task SeedPeripheralAsync() => PutAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" });

    /// <summary>Skill group 10 ("Sales") on peripheral 1: the configuration most tests start from.</summary>
    protected async Task SeedSalesAsync()
    {
        await SeedPeripheralAsync();
        await PutAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
    }

    /// <summary>
    /// A team the statistics engine can measure: peripheral 1, skill group 10 ("Sales"), agents 100 to 104 its members,
    /// call type 7 ("Support", service level 20 s).
    /// </summary>
    protected async Task SeedSalesTeamAsync()
    {
        await SeedSalesAsync();
        for (var agent = 100; agent < 105; agent++)
        {
            await PutAsync("agent", agent, new { name = $"Agent {agent}", peripheralId = 1 });
            await PutAsync("skillgroupmember", agent * 10, new { agentId = agent, skillGroupId = 10 });
        }
        await PutAsync("calltype", 7, new { name = "Support", serviceLevelSeconds = 20 });
    }
}
