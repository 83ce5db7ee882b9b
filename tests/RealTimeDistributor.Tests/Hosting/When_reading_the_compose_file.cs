using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Central.Admin;
using RealTimeDistributor.Client;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using YamlDotNet.RepresentationModel;

namespace RealTimeDistributor.Tests.Hosting;

/// <summary>
/// docker-compose.yml (issue 14: one broker service per site), read here because this machine has no Docker engine to
/// run it: each app service's environment goes through its host's own settings code (so a key it needs is there and a
/// value it refuses is not), and each site's distributor and workstation talk to that site's broker, which has its own
/// setup job for that site, while the distributor reads the center from the central broker.
/// </summary>
public sealed partial class When_reading_the_compose_file
{
    private static readonly YamlMappingNode Services = ReadServices();

    [Fact]
    public void Should_run_each_site_on_its_own_broker()
    {
        var sites = Names().Select(n => DistributorService().Match(n)).Where(m => m.Success).Select(m => m.Groups["site"].Value).ToList();
        Assert.True(sites.Count >= 2, $"two sites or more: {string.Join(", ", sites)}");
        foreach (var site in sites)
        {
            var distributor = Configuration($"distributor-{site}");
            var central = RabbitMqSettings.From(distributor);
            Assert.Equal("rabbitmq", central.Host);
            Assert.Equal($"rabbitmq-{site}", RabbitMqSettings.SiteOrCentral(distributor, central).Host);
            Assert.Equal(site, DistributorSettings.From(distributor).Site);

            var client = Configuration($"client-{site}");
            Assert.Equal(site, ClientSettings.From(client).Site);
            Assert.Equal($"rabbitmq-{site}", RabbitMqSettings.From(client).Host);

            Assert.Contains($"rabbitmq-{site}", Names());
            var setup = Environment($"broker-setup-{site}");
            Assert.Equal(site, setup["RTD_SITES"]);
            Assert.StartsWith($"http://rabbitmq-{site}:", setup["RTD_API"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Should_configure_the_center_so_that_it_starts_as_a_local_demo()
    {
        var central = Configuration("central", (DemoSecrets.Variable, "1"));
        Assert.Equal("rabbitmq", RabbitMqSettings.From(central).Host);
        Assert.NotEmpty(AdminKeys.From(central).Keys);
    }

    [Fact]
    public void Should_refuse_the_demo_key_without_the_demo_flag()
    {
        // an empty .env: the demo key's hash is the default and RTD_ALLOW_DEMO_SECRETS is not set (issue 24, item 9)
        var refused = Assert.Throws<InvalidConfigurationException>(() => AdminKeys.From(Configuration("central")));
        Assert.Contains("Admin:Keys:demo:Hash", refused.Message, StringComparison.Ordinal);
        Assert.Contains(DemoSecrets.Variable, refused.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Names() => Services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!);

    /// <summary>A service's environment, each <c>${NAME:-default}</c> read as its default (what an empty .env gives).</summary>
    private static Dictionary<string, string> Environment(string service)
    {
        var node = (YamlMappingNode)Services.Children[new YamlScalarNode(service)];
        var environment = (YamlMappingNode)node.Children[new YamlScalarNode("environment")];
        return environment.Children.ToDictionary(e => ((YamlScalarNode)e.Key).Value!,
            e => Default().Replace(((YamlScalarNode)e.Value).Value ?? "", m => m.Groups["value"].Value));
    }

    /// <summary>A service's environment as its host reads it (<c>__</c> becomes <c>:</c>).</summary>
    private static IConfiguration Configuration(string service, params (string Name, string Value)[] dotEnv) => new ConfigurationBuilder()
        .AddInMemoryCollection(Environment(service).Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal),
            dotEnv.FirstOrDefault(d => d.Name == e.Key).Value ?? e.Value)))
        .Build();

    private static YamlMappingNode ReadServices()
    {
        using var reader = new StreamReader(Repository.PathOf("docker-compose.yml"));
        var yaml = new YamlStream();
        yaml.Load(reader);
        return (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode).Children[new YamlScalarNode("services")];
    }

    [GeneratedRegex(@"^distributor-(?<site>[a-z0-9-]+)$")]
    private static partial Regex DistributorService();

    [GeneratedRegex(@"\$\{[A-Z0-9_]+:-(?<value>[^}]*)\}")]
    private static partial Regex Default();
}
