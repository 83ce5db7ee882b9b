using MassTransit;
using Microsoft.Extensions.DependencyInjection;

namespace RealTimeDistributor.Hosting;

public static class MassTransitDefaults
{
    /// <summary>
    /// Points a bus at one virtual host and makes plain JSON (application/json, no envelope) the wire format,
    /// so workstations written in other languages read the same bytes (docs/wire-format.md). The bus endpoint is named
    /// after its owner (<see cref="Topology.BusEndpoint"/>: "rtd.{site}.client.{workstation}", ...), inside the names
    /// the owner's broker user may use (infra/rabbitmq/roles.conf). After losing the broker the bus reconnects with
    /// jittered, bounded waits (<see cref="BrokerReconnect"/>, RabbitMq:Reconnect*).
    /// </summary>
    public static void UseRtdBroker(this IRabbitMqBusFactoryConfigurator configurator, RabbitMqSettings settings, string virtualHost, string connectionName,
        string busOwner)
    {
        configurator.OverrideDefaultBusEndpointQueueName(Topology.BusEndpoint(busOwner));
        configurator.Host(settings.Host, (ushort)settings.Port, virtualHost, connectionName, host =>
        {
            host.Username(settings.Username);
            host.Password(settings.Password);
            if (settings.Nodes.Count > 1)
            {
                host.UseCluster(cluster =>
                {
                    foreach (var node in settings.Nodes)
                    {
                        cluster.Node(node.ToString());
                    }
                });
            }
            if (settings.UseTls)
            {
                host.UseSsl(ssl =>
                {
                    ssl.ServerName = settings.Host;
                    if (settings.CaCertificate is { } ca)
                    {
                        ssl.CertificateValidationCallback = TlsTrust.Validator(TlsTrust.LoadCa(ca, $"{settings.ConfigurationSection}:CaCertificate"));
                    }
                });
            }
        });
        configurator.UseRawJsonSerializer(RawSerializerOptions.Default, isDefault: true);
        settings.Reconnect.ApplyTo(configurator);
    }

    /// <summary>
    /// Start the bus before the host reports started, so no early publish is lost. MassTransit's usage telemetry (a report
    /// to the internet after start) is off: contact-center networks are isolated.
    /// </summary>
    public static IServiceCollection AddRtdMassTransitHostOptions(this IServiceCollection services) =>
        services
            .Configure<UsageTelemetryOptions>(options => options.Enabled = false)
            .Configure<MassTransitHostOptions>(options =>
            {
                options.WaitUntilStarted = true;
                options.StartTimeout = TimeSpan.FromSeconds(30);
                options.StopTimeout = TimeSpan.FromSeconds(15);
            });

    /// <summary>
    /// A receive endpoint on a queue of <see cref="Topology"/>: no consume topology of MassTransit's own (the bindings are
    /// made by <see cref="BrokerDefinitions.BindWithoutDeclaring"/>), no <c>Fault&lt;T&gt;</c> published (nobody subscribes:
    /// the _error queue keeps the message and the reason), and the queue's arguments.
    /// </summary>
    public static void UseTopologyQueue(this IRabbitMqReceiveEndpointConfigurator endpoint, IReadOnlyDictionary<string, object?>? arguments = null)
    {
        endpoint.ConfigureConsumeTopology = false;
        endpoint.PublishFaults = false;
        foreach (var (key, value) in arguments ?? new Dictionary<string, object?>())
        {
            endpoint.SetQueueArgument(key, value);
        }
    }
}
