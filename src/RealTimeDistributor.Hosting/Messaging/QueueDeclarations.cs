using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>
/// Declares the queues the raw RabbitMQ.Client consumers and gateways read, with the names and arguments of
/// <see cref="Topology"/>. The exchanges they bind to belong to the broker definitions: they are checked, not declared
/// (<see cref="BrokerDefinitions.EnsureExchangesAsync"/>).
/// </summary>
public static class QueueDeclarations
{
    /// <summary>A site's config queue on the central vhost, bound <c>#</c> to the central config exchange.</summary>
    public static async Task DeclareDistributorConfigQueueAsync(IConnection connection, IChannel channel, string site, int maxLength,
        CancellationToken cancellationToken)
    {
        var queue = Topology.Central.DistributorConfigQueue(site);
        await BrokerDefinitions.EnsureExchangesAsync(connection, [new(Topology.Central.ConfigExchange, Topology.TopicExchange)], cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            new Dictionary<string, object?>(Topology.Central.DistributorConfigQueueArguments(maxLength)), cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, Topology.Central.ConfigExchange, Topology.AllKeys, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// The center's queue of peripheral events, bound to the activity exchange for every peripheral without declaring it
    /// (a passive check of the definitions' exchanges, then queue.bind: read on the exchange, write on the queue).
    /// </summary>
    public static async Task DeclareActivityQueueAsync(IConnection connection, IChannel channel, CancellationToken cancellationToken)
    {
        await BrokerDefinitions.EnsureExchangesAsync(connection, [Topology.Activity.DeclaredExchange, Topology.Activity.DeclaredControlExchange], cancellationToken);
        await channel.QueueDeclareAsync(Topology.Activity.Queue, durable: true, exclusive: false, autoDelete: false,
            new Dictionary<string, object?>(Topology.Activity.QueueArguments), cancellationToken: cancellationToken);
        await channel.QueueBindAsync(Topology.Activity.Queue, Topology.Activity.Exchange, Topology.Activity.AllPeripherals, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// A gateway's control queue: non-durable, deleted with its connection (a gateway that starts sends a resync anyway),
    /// bound to the definitions' control exchange without declaring it.
    /// </summary>
    public static async Task DeclareGatewayQueueAsync(IConnection connection, IChannel channel, long peripheralId, CancellationToken cancellationToken)
    {
        var queue = Topology.Activity.GatewayQueue(peripheralId);
        await BrokerDefinitions.EnsureExchangesAsync(connection, [Topology.Activity.DeclaredControlExchange], cancellationToken);
        await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, Topology.Activity.ControlExchange, Topology.Activity.RoutingKey(peripheralId), cancellationToken: cancellationToken);
    }

    /// <summary>The error exchange and queue of a queue ("{queue}_error", as MassTransit names them): durable, classic, the exchange fanout.</summary>
    public static async Task DeclareErrorQueueAsync(IChannel channel, string queue, CancellationToken cancellationToken)
    {
        var error = Topology.ErrorQueue(queue);
        await channel.ExchangeDeclareAsync(error, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(error, durable: true, exclusive: false, autoDelete: false, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(error, error, "", cancellationToken: cancellationToken);
    }
}
