using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RealTimeDistributor.Distributor;

namespace RealTimeDistributor.Tests.Distributor;

/// <summary>
/// Issue 21: the distributor's start-up order (DistributorHost.Startup, docs/architecture.md) is the order of the built
/// host's hosted services, which the host starts one after the other and stops in the reverse. The host is built, not
/// started: nothing connects.
/// </summary>
public sealed class When_a_distributor_starts
{
    [Fact]
    public async Task Should_start_its_hosted_services_in_the_documented_order()
    {
        await using var app = DistributorHost.Build([], builder => builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Distributor:Site"] = "order-site",
            ["ConnectionStrings:Replica"] = "Host=127.0.0.1;Database=rtd_order_site",
            ["RabbitMq:Username"] = "order-user",
            ["RabbitMq:Password"] = "order-password",
        }));

        var order = app.Services.GetServices<IHostedService>().Select(s => s.GetType().Name).ToList();

        Assert.Equal([
            "StartupTask", // preflight (RtdHost.AddRtdDefaults): the replica, the central vhost
            "StartupTask", // preflight: the site vhost
            "StartupTask", // the replica's migrations and sync_state row
            "SiteLease",
            "ConfigStream",
            "ConfigChangedConsumer",
            "RealTimeIntake",
            "MassTransitHostedService", // both buses
            "RealTimeEndpoint",
            "SiteStatusPublisher",
            "BindingsWait",
            "RealTimeSnapshotLoader",
        ], order.Where(n => !Framework.Contains(n)));
        // the host's own services sit before the sequence or after it, never inside it
        var first = order.IndexOf("SiteLease");
        var last = order.IndexOf("RealTimeSnapshotLoader");
        Assert.DoesNotContain(order[first..last], Framework.Contains);
    }

    /// <summary>What ASP.NET Core, OpenTelemetry and the health checks register.</summary>
    private static readonly HashSet<string> Framework = ["GenericWebHostService", "HealthCheckPublisherHostedService", "TelemetryHostedService"];
}
