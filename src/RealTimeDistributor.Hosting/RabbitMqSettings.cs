using Microsoft.Extensions.Configuration;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Broker connection, bound from the "RabbitMq" section:
/// <code>
/// "RabbitMq": { "Host": "127.0.0.1", "Port": 5672, "Username": "rtd", "Password": "...", "UseTls": false,
///               "ConnectTimeout": "00:00:10", "CentralVirtualHost": "rtd-central" }
/// </code>
/// Environment form: RabbitMq__Host, RabbitMq__Port, RabbitMq__Username, RabbitMq__Password, RabbitMq__UseTls, ...
/// CentralVirtualHost exists so that tests (and a second environment on one broker) can use a central vhost of their own.
/// </summary>
public sealed record RabbitMqSettings(string Host, int Port, string Username, string Password, bool UseTls, TimeSpan ConnectTimeout,
    string CentralVirtualHost)
{
    public const string Section = "RabbitMq";

    public string Endpoint(string virtualHost) => $"{(UseTls ? "amqps" : "amqp")}://{Host}:{Port}/{virtualHost}";

    public static RabbitMqSettings From(IConfiguration configuration)
    {
        var useTls = configuration.Bool($"{Section}:UseTls", false);
        return new RabbitMqSettings(
            configuration.Required($"{Section}:Host"),
            configuration.Int($"{Section}:Port", useTls ? 5671 : 5672, 1, 65535),
            configuration.Required($"{Section}:Username"),
            configuration.Required($"{Section}:Password"),
            useTls,
            configuration.Duration($"{Section}:ConnectTimeout", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
            string.IsNullOrWhiteSpace(configuration[$"{Section}:CentralVirtualHost"])
                ? Topology.Central.VirtualHost
                : configuration[$"{Section}:CentralVirtualHost"]!);
    }
}
