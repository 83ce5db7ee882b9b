using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>What a <see cref="RawQueueConsumer"/> reads and how.</summary>
/// <param name="Prefetch">Deliveries held unacknowledged at once.</param>
/// <param name="Declare">Declares the queue (and binds it) on the consumer's connection and channel before it consumes.</param>
public sealed record RawQueue(string VirtualHost, string Queue, string ConnectionName, ushort Prefetch,
    Func<IConnection, IChannel, CancellationToken, Task> Declare)
{
    /// <summary>
    /// True: each delivery is handled as it arrives, many at once, ending in any order (acked as one multiple-ack for
    /// each stretch that is done). False: one at a time, in queue order.
    /// </summary>
    public bool Concurrent { get; init; }

    /// <summary>Consume only while this gate is open (such as the site lease); none: always.</summary>
    public ConsumeGate? Gate { get; init; }

    /// <summary>This connection stands for a link (consuming means reached, a failed connection means lost).</summary>
    public BrokerLink? Link { get; init; }

    /// <summary>The waits before connecting again after a failure; none: <see cref="Resilience.RepeatUntilStoppedAsync"/>'s own.</summary>
    public BrokerReconnect? Reconnect { get; init; }
}

/// <summary>
/// A condition for consuming: <paramref name="WaitAsync"/> returns once it holds, with a token cancelled when it no
/// longer does; <paramref name="Name"/> says what it is in the log.
/// </summary>
public sealed record ConsumeGate(string Name, Func<CancellationToken, Task<CancellationToken>> WaitAsync);

/// <summary>Handles one delivery: null when it is done (acked), a <see cref="Refusal"/> to park it first; an exception leaves it unacked.</summary>
public delegate Task<Refusal?> DeliveryHandler(Delivery delivery, CancellationToken cancellationToken);
