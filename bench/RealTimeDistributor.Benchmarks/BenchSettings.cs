using System.Globalization;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Benchmarks;

/// <summary>
/// Where the broker is: the environment variables infra/env.sh exports, else the local demo defaults that
/// infra/services-up.sh sets up (the same rule as the integration tests).
/// </summary>
public static class BenchSettings
{
    public static RabbitMqSettings Broker => new(
        Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
        int.Parse(Env("RTD_RABBITMQ_PORT", "5672"), CultureInfo.InvariantCulture),
        Env("RTD_RABBITMQ_USER", "rtd"),
        Env("RTD_RABBITMQ_PASSWORD", "local-demo-rtd"),
        UseTls: false,
        TimeSpan.FromSeconds(10),
        Topology.Central.VirtualHost);

    public static Uri ManagementApi => new($"http://{Env("RTD_RABBITMQ_HOST", "127.0.0.1")}:{Env("RTD_RABBITMQ_MANAGEMENT_PORT", "15672")}/api/");

    public static string AdminUser => Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin");

    public static string AdminPassword => Env("RTD_RABBITMQ_ADMIN_PASSWORD", "local-demo-admin");

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
