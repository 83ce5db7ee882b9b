using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace RealTimeDistributor.Hosting;

/// <summary>An exchange the broker definitions declare (infra/rabbitmq/topology.conf, generated from <see cref="Topology"/>).</summary>
public sealed record DeclaredExchange(string Name, string Type);

/// <summary>A binding from a <see cref="DeclaredExchange"/> to a receive endpoint, with its routing key.</summary>
public sealed record ExchangeBinding(DeclaredExchange Source, string RoutingKey);

/// <summary>
/// The shared exchanges (central and site) are declared by the broker definitions (infra/rabbitmq/apply-definitions.sh),
/// so no role needs the configure right on them, which would let it delete them. A host only checks that they exist
/// (a passive declare, which needs no right); it declares one itself only when it is missing, which works only for a
/// user with the configure right on it (the tests' own vhosts, a broker without the definitions), and otherwise fails
/// naming the exchange and the script that declares it.
/// </summary>
public static class BrokerDefinitions
{
    public static async Task EnsureExchangesAsync(IConnection connection, IEnumerable<DeclaredExchange> exchanges, CancellationToken cancellationToken)
    {
        foreach (var exchange in exchanges)
        {
            try
            {
                await using var probe = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                await probe.ExchangeDeclarePassiveAsync(exchange.Name, cancellationToken);
            }
            catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
            {
                try
                {
                    await using var declare = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
                    await declare.ExchangeDeclareAsync(exchange.Name, exchange.Type, durable: true, autoDelete: false, cancellationToken: cancellationToken);
                }
                catch (OperationInterruptedException refused) when (refused.ShutdownReason?.ReplyCode == 403)
                {
                    throw new InvalidOperationException($"The exchange {exchange.Name} does not exist on this vhost and this user may not declare it: "
                        + "the broker definitions declare it (infra/rabbitmq/apply-definitions.sh).", refused);
                }
            }
        }
    }

    /// <summary>
    /// Binds a receive endpoint to exchanges of the definitions without declaring them: MassTransit's own Bind re-declares
    /// the exchange it binds to (its ConfigureRabbitMqTopologyFilter declares every exchange of the endpoint's topology, and
    /// MassTransit 8 has no passive declare), which needs the configure right. The bindings go to the exchange MassTransit
    /// puts in front of the endpoint's queue (same name; exchange.bind needs write on it and read on the source), so an
    /// exclusive queue can be bound from another connection too. They are made each time the endpoint is ready (start,
    /// reconnect: a temporary endpoint's exchange is new then), and the host's start waits for the first time
    /// (<see cref="AddBrokerBindings"/>). The vhost: the central one, or the site's one given; the broker: the host's, or
    /// the one given (a distributor's site broker).
    /// </summary>
    public static void BindWithoutDeclaring(this IRabbitMqReceiveEndpointConfigurator endpoint, IServiceProvider services, string endpointName,
        IReadOnlyList<ExchangeBinding> bindings, string? siteVirtualHost = null, RabbitMqSettings? broker = null)
    {
        var registry = services.GetRequiredService<Registry>();
        var observer = new BrokerBindings(broker ?? registry.Broker, siteVirtualHost ?? registry.Broker.CentralVirtualHost, endpointName, bindings);
        endpoint.ConnectReceiveEndpointObserver(observer);
        registry.Add(observer);
    }

    /// <summary>
    /// Register after every AddMassTransit of the host (hosted services start in order): the host's start waits until
    /// every endpoint's bindings are made, so nothing that follows (a snapshot request) can miss a message.
    /// </summary>
    public static IServiceCollection AddBrokerBindings(this IServiceCollection services, RabbitMqSettings broker) =>
        services.AddSingleton(new Registry(broker)).AddHostedService<BindingsWait>();

    /// <summary>The bindings of <see cref="AddBrokerBindings"/> without the wait, for a host that places it (<see cref="BindingsWaitStep"/>) in its <see cref="StartupSequence"/>.</summary>
    public static IServiceCollection AddBrokerBindingsRegistry(this IServiceCollection services, RabbitMqSettings broker) =>
        services.AddSingleton(new Registry(broker));

    /// <summary>The start waits until every endpoint's bindings are made: a step after the buses.</summary>
    public static IHostedService BindingsWaitStep(IServiceProvider services) => new BindingsWait(services.GetRequiredService<Registry>());

    /// <summary>The <see cref="BrokerBindings"/> of one host.</summary>
    public sealed class Registry(RabbitMqSettings broker)
    {
        private readonly List<BrokerBindings> _bindings = [];

        public RabbitMqSettings Broker => broker;

        public void Add(BrokerBindings bindings)
        {
            lock (_bindings)
            {
                _bindings.Add(bindings);
            }
        }

        public Task AllBoundAsync(CancellationToken cancellationToken)
        {
            lock (_bindings)
            {
                return Task.WhenAll(_bindings.Select(b => b.Bound.WaitAsync(cancellationToken)));
            }
        }
    }

    private sealed class BindingsWait(Registry registry) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => registry.AllBoundAsync(cancellationToken);

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>The bindings of one receive endpoint, made when it is ready (<see cref="BrokerDefinitions.BindWithoutDeclaring"/>).</summary>
public sealed class BrokerBindings(RabbitMqSettings broker, string virtualHost, string endpoint, IReadOnlyList<ExchangeBinding> bindings)
    : IReceiveEndpointObserver
{
    private readonly TaskCompletionSource _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the bindings were made once; fails when the first attempt failed.</summary>
    public Task Bound => _bound.Task;

    public async Task Ready(ReceiveEndpointReady ready)
    {
        try
        {
            await using var connection = await RabbitMqConnections.ConnectAsync(broker, virtualHost, $"rtd bindings {endpoint}", CancellationToken.None);
            await BrokerDefinitions.EnsureExchangesAsync(connection, bindings.Select(b => b.Source).Distinct(), CancellationToken.None);
            await using var channel = await connection.CreateChannelAsync();
            foreach (var binding in bindings)
            {
                await channel.ExchangeBindAsync(endpoint, binding.Source.Name, binding.RoutingKey);
            }
            _bound.TrySetResult();
        }
        catch (Exception exception)
        {
            LogContext.Error?.Log(exception, "Binding {Endpoint} to its exchanges failed", endpoint);
            _bound.TrySetException(exception);
        }
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
