using Microsoft.Extensions.Configuration;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Broker connection, bound from the "RabbitMq" section:
/// <code>
/// "RabbitMq": { "Host": "127.0.0.1", "Port": 5672, "Username": "rtd", "Password": "...", "UseTls": false,
///               "CaCertificate": "/etc/rtd/rabbitmq-ca.pem", "ConnectTimeout": "00:00:10", "CentralVirtualHost": "rtd-central" }
/// </code>
/// UseTls connects with TLS (amqps, port 5671 by default) and checks the broker's certificate and name (RabbitMq:Host);
/// CaCertificate, a PEM file, is the CA that signed it when the operating system does not trust that CA.
/// Environment form: RabbitMq__Host, RabbitMq__Port, RabbitMq__Username, RabbitMq__Password, RabbitMq__UseTls, ...
/// CentralVirtualHost exists so that tests (and a second environment on one broker) can use a central vhost of their own.
/// </summary>
public sealed record RabbitMqSettings(string Host, int Port, string Username, string Password, bool UseTls, TimeSpan ConnectTimeout,
    string CentralVirtualHost, string? CaCertificate = null)
{
    public const string Section = "RabbitMq";

    /// <summary>The keys an unreachable broker is reported with.</summary>
    public string Keys => UseTls
        ? "RabbitMq:Host, RabbitMq:Port, RabbitMq:Username, RabbitMq:Password, RabbitMq:UseTls, RabbitMq:CaCertificate"
        : "RabbitMq:Host, RabbitMq:Port, RabbitMq:Username, RabbitMq:Password";

    public string Endpoint(string virtualHost) => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{virtualHost}";

    public static RabbitMqSettings From(IConfiguration configuration)
    {
        var useTls = configuration.Bool($"{Section}:UseTls", false);
        var ca = configuration[$"{Section}:CaCertificate"] is { Length: > 0 } path ? path : null;
        if (ca is not null)
        {
            if (!useTls)
            {
                throw new InvalidConfigurationException($"{Section}:CaCertificate", $"is '{ca}' but {Section}:UseTls is false: set {Section}:UseTls=true, or remove it.");
            }
            TlsTrust.LoadCa(ca, $"{Section}:CaCertificate").Dispose();
        }
        return new RabbitMqSettings(
            configuration.Required($"{Section}:Host"),
            configuration.Int($"{Section}:Port", useTls ? 5671 : 5672, 1, 65535),
            configuration.Required($"{Section}:Username"),
            configuration.Required($"{Section}:Password"),
            useTls,
            configuration.Duration($"{Section}:ConnectTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            string.IsNullOrWhiteSpace(configuration[$"{Section}:CentralVirtualHost"])
                ? Topology.Central.VirtualHost
                : configuration[$"{Section}:CentralVirtualHost"]!,
            ca);
    }
}
