using System.Text.RegularExpressions;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

/// <summary>
/// infra/rabbitmq/topology.conf (the exchanges the broker definitions declare) is Topology.cs's list, and the regexes of
/// infra/rabbitmq/roles.conf give no role the configure right on them, and a workstation rights on its own names only.
/// </summary>
public sealed class When_declaring_the_broker_definitions
{
    private const string Site = "site-a";
    private const string Peripheral = "1";

    [Fact]
    public void Should_declare_in_topology_conf_exactly_the_exchanges_of_Topology()
    {
        var declared = Conf("topology.conf")
            .Select(f => (VirtualHost: Expand(f[1], "ws1"), Name: Expand(f[2], "ws1"), Type: f[3]))
            .Order().ToList();
        var expected = Topology.Central.DeclaredExchanges.Select(e => (Topology.Central.VirtualHost, e.Name, e.Type))
            .Concat(Topology.Site.DeclaredExchanges(Site).Select(e => (Topology.Site.VirtualHost(Site), e.Name, e.Type)))
            .Order().ToList();
        Assert.Equal(expected, declared);
    }

    [Fact]
    public void Should_give_no_role_the_configure_right_on_a_declared_exchange()
    {
        var exchanges = Topology.Central.DeclaredExchanges.Concat(Topology.Site.DeclaredExchanges(Site)).Select(e => e.Name).ToList();
        var configurable = (from perm in Permissions("ws1")
                            from exchange in exchanges
                            where perm.Configure.IsMatch(exchange)
                            select $"{perm.Role}: {exchange}").ToList();
        Assert.Empty(configurable);
    }

    [Theory]
    [InlineData("rtd.site-a.client.ws1", true)]
    [InlineData("rtd.site-a.client.ws1.snapshots", true)]
    [InlineData("rtd.site-a.client.ws1_error", true)]
    [InlineData("rtd.site-a.client.ws1.bus-0123456789abcdef", true)]
    [InlineData("rtd.site-a.client.ws2", false)] // another workstation's queue and the exchange in front of it
    [InlineData("rtd.site-a.client.ws2.snapshots", false)]
    [InlineData("rtd.site-a.client.ws2.bus-0123456789abcdef", false)]
    [InlineData("rtd.site-a.client.ws1-b", false)]
    [InlineData("rtd.site-a.client.ws1.x", false)]
    [InlineData("rtd.site-a.config", false)]
    [InlineData("rtd.site-a.distributor.snapshots", false)]
    [InlineData("vm_rtd_bus_abc", false)]
    public void Should_let_a_workstation_write_only_its_own_names(string name, bool allowed)
    {
        var workstation = Permissions("ws1").Single(p => p.Role == "workstation");
        Assert.Equal(allowed, workstation.Write.IsMatch(name));
        Assert.Equal(allowed, workstation.Configure.IsMatch(name));
    }

    [Theory]
    [InlineData(Topology.Activity.Exchange, "peripheral.1", true)]
    [InlineData(Topology.Activity.Exchange, "peripheral.2", false)] // another peripheral's events
    [InlineData(Topology.Activity.Exchange, "peripheral.1.x", false)]
    [InlineData(Topology.Activity.ControlExchange, "peripheral.1", false)] // resync requests come from the center only
    public void Should_let_a_gateway_publish_only_its_own_peripheral_key(string exchange, string routingKey, bool allowed)
    {
        var topic = Conf("roles.conf").Single(f => f[0] == "topic" && f[1] == "gateway" && f[3] == exchange);
        Assert.Equal(allowed, Regex(topic[4], "ws1").IsMatch(routingKey));
    }

    [Theory]
    [InlineData("rtd.central.gateway.1.control", true)]
    [InlineData("rtd.central.gateway.2.control", false)] // another gateway's control queue
    [InlineData(Topology.Activity.Queue, false)]
    [InlineData(Topology.Activity.Exchange, false)]
    public void Should_let_a_gateway_configure_only_its_own_control_queue(string name, bool allowed)
    {
        var gateway = Permissions("ws1").Single(p => p.Role == "gateway");
        Assert.Equal(allowed, gateway.Configure.IsMatch(name));
    }

    [Fact]
    public void Should_name_each_bus_endpoint_inside_its_owner_names()
    {
        var perms = Permissions("ws1");
        var owners = new[]
        {
            ("controller", Topology.Central.ControllerBusOwner),
            ("distributor", Topology.Central.DistributorBusOwner(Site)),
            ("workstation", Topology.Site.ClientQueue(Site, "ws1")),
        };
        foreach (var (role, owner) in owners)
        {
            var endpoint = Topology.BusEndpoint(owner);
            Assert.True(Topology.IsBusEndpoint(endpoint));
            Assert.Contains(perms, p => p.Role == role && p.Configure.IsMatch(endpoint) && p.Write.IsMatch(endpoint) && p.Read.IsMatch(endpoint));
            Assert.DoesNotContain(perms, p => p.Role != role && p.Write.IsMatch(endpoint));
        }
    }

    private sealed record Permission(string Role, string VirtualHost, Regex Configure, Regex Write, Regex Read);

    private static List<Permission> Permissions(string workstation) =>
        [.. Conf("roles.conf").Where(f => f[0] == "perm")
            .Select(f => new Permission(f[1], Expand(f[2], workstation), Regex(f[3], workstation), Regex(f[4], workstation), Regex(f[5], workstation)))];

    private static Regex Regex(string pattern, string workstation) => new(Expand(pattern, workstation), RegexOptions.CultureInvariant);

    private static string Expand(string text, string workstation) =>
        text.Replace("{central}", Topology.Central.VirtualHost, StringComparison.Ordinal).Replace("{site}", Site, StringComparison.Ordinal)
            .Replace("{workstation}", workstation, StringComparison.Ordinal).Replace("{peripheral}", Peripheral, StringComparison.Ordinal);

    private static List<string[]> Conf(string file)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "RealTimeDistributor.sln")))
        {
            root = root.Parent;
        }
        return [.. File.ReadLines(Path.Combine(root!.FullName, "infra", "rabbitmq", file))
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))];
    }
}
