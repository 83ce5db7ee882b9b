using Microsoft.Extensions.Configuration;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Broker connection, bound from the "RabbitMq" section:
/// <code>
/// "RabbitMq": { "Host": "127.0.0.1", "Port": 5672, "Username": "rtd-site-a-distributor", "Password": "...", "UseTls": false,
///               "CaCertificate": "/etc/rtd/rabbitmq-ca.pem", "ConnectTimeout": "00:00:10", "CentralVirtualHost": "rtd-central",
///               "ManagementUrl": "http://127.0.0.1:15672", "ReconnectDelay": "00:00:00.5", "ReconnectMaxDelay": "00:00:04" }
/// </code>
/// UseTls connects with TLS (amqps, port 5671 by default) and checks the broker's certificate and name (RabbitMq:Host);
/// CaCertificate, a PEM file, is the CA that signed it when the operating system does not trust that CA.
/// Environment form: RabbitMq__Host, RabbitMq__Port, RabbitMq__Username, RabbitMq__Password, RabbitMq__UseTls, ...
/// CentralVirtualHost exists so that tests (and a second environment on one broker) can use a central vhost of their own.
/// Hosts, for a cluster: "node1:5672,node2,node3:5673" (a port per node, else Port); the process connects to one of
/// them and, when that node goes, reconnects to another. Without Hosts, Host is the one node; with Hosts, Host may be
/// left out (it is then the first node, the name TLS checks for it is each node's own).
/// The same keys under another section (<see cref="SiteSection"/>, "SiteRabbitMq") name a site's own broker for its
/// distributor (<see cref="SiteOrCentral"/>); <see cref="ConfigurationSection"/> says which section a value came from.
/// </summary>
public sealed record RabbitMqSettings(string Host, int Port, string Username, string Password, bool UseTls, TimeSpan ConnectTimeout,
    string CentralVirtualHost, string? CaCertificate = null, IReadOnlyList<BrokerNode>? ClusterNodes = null)
{
    public const string Section = "RabbitMq";

    /// <summary>A distributor's site broker: where it publishes its site stream and serves site snapshots.</summary>
    public const string SiteSection = "SiteRabbitMq";

    /// <summary>The section these settings were read from ("RabbitMq" or "SiteRabbitMq"): the keys an error names.</summary>
    public string ConfigurationSection { get; init; } = Section;

    /// <summary>
    /// The broker's management HTTP API (ManagementUrl; default http://{Host}:15672/): a distributor that takes a site
    /// over closes the connections of the instance it took it from there (SiteLease, PreviousHolderFence).
    /// </summary>
    public Uri ManagementUrl { get; init; } = new($"http://{Host}:15672/");

    /// <summary>
    /// How the MassTransit buses wait between attempts to reach the broker again after losing it (ReconnectDelay,
    /// ReconnectMaxDelay, ReconnectPolicy: <see cref="BrokerReconnect"/>).
    /// </summary>
    public BrokerReconnect Reconnect { get; init; } = BrokerReconnect.Default;

    /// <summary>The keys an unreachable broker is reported with.</summary>
    public string Keys => string.Join(", ", (UseTls ? KeyNames : KeyNames[..4])
        .Select(k => k == "Host" && Nodes.Count > 1 ? "Hosts" : k).Select(k => $"{ConfigurationSection}:{k}"));

    private static readonly string[] KeyNames = ["Host", "Port", "Username", "Password", "UseTls", "CaCertificate"];

    public string Endpoint(string virtualHost) => Nodes.Count == 1
        ? $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{virtualHost}"
        : $"{(UseTls ? "amqps" : "amqp")}://{{{string.Join(",", Nodes)}}}/{virtualHost}";

    /// <summary>Every node the process may connect to: the cluster's, else the one Host:Port.</summary>
    public IReadOnlyList<BrokerNode> Nodes => ClusterNodes is { Count: > 0 } nodes ? nodes : [new BrokerNode(Host, Port)];

    /// <summary>
    /// The settings of <paramref name="section"/> ("SiteRabbitMq") when the configuration has that section, else
    /// <paramref name="central"/>: without it a site uses the one broker (the one-box demo).
    /// </summary>
    public static RabbitMqSettings SiteOrCentral(IConfiguration configuration, RabbitMqSettings central, string section = SiteSection) =>
        configuration.GetSection(section).Exists() ? From(configuration, section) : central;

    public static RabbitMqSettings From(IConfiguration configuration, string section = Section)
    {
        var useTls = configuration.Bool($"{section}:UseTls", false);
        var ca = configuration[$"{section}:CaCertificate"] is { Length: > 0 } path ? path : null;
        if (ca is not null)
        {
            if (!useTls)
            {
                throw new InvalidConfigurationException($"{section}:CaCertificate", $"is '{ca}' but {section}:UseTls is false: set {section}:UseTls=true, or remove it.");
            }
            TlsTrust.LoadCa(ca, $"{section}:CaCertificate").Dispose();
        }
        var port = configuration.Int($"{section}:Port", useTls ? 5671 : 5672, 1, 65535);
        var nodes = BrokerNode.ParseList(configuration[$"{section}:Hosts"], port, $"{section}:Hosts");
        var settings = new RabbitMqSettings(
            nodes is [var first, ..] && string.IsNullOrWhiteSpace(configuration[$"{section}:Host"]) ? first.Host : configuration.Required($"{section}:Host"),
            port,
            configuration.Required($"{section}:Username"),
            configuration.Required($"{section}:Password"),
            useTls,
            configuration.Duration($"{section}:ConnectTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            string.IsNullOrWhiteSpace(configuration[$"{section}:CentralVirtualHost"])
                ? Topology.Central.VirtualHost
                : configuration[$"{section}:CentralVirtualHost"]!,
            ca,
            nodes)
        { ConfigurationSection = section, Reconnect = BrokerReconnect.From(configuration, section) };
        return configuration[$"{section}:ManagementUrl"] is { Length: > 0 } management
            ? settings with { ManagementUrl = ManagementUrlOf(management, $"{section}:ManagementUrl") }
            : settings;
    }

    private static Uri ManagementUrlOf(string value, string key) =>
        Uri.TryCreate(value.TrimEnd('/') + "/", UriKind.Absolute, out var url) && url.Scheme is "http" or "https" ? url
            : throw new InvalidConfigurationException(key, $"is '{value}': an http(s) address such as http://broker:15672.");
}

/// <summary>One broker node: a host name and its AMQP port.</summary>
public sealed record BrokerNode(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";

    /// <summary>"host1:5672,host2,host3:5673" (a node without a port gets <paramref name="defaultPort"/>); null when empty.</summary>
    public static IReadOnlyList<BrokerNode>? ParseList(string? value, int defaultPort, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }
        var nodes = new List<BrokerNode>();
        foreach (var item in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = item.LastIndexOf(':');
            if (colon < 0)
            {
                nodes.Add(new BrokerNode(item, defaultPort));
            }
            else if (colon > 0 && int.TryParse(item[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535)
            {
                nodes.Add(new BrokerNode(item[..colon], port));
            }
            else
            {
                throw new InvalidConfigurationException(key, $"is '{value}': each node is host or host:port (port 1-65535), separated by commas; '{item}' is not.");
            }
        }
        return nodes;
    }
}
