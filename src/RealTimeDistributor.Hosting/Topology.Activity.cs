namespace RealTimeDistributor.Hosting;

public static partial class Topology
{
    /// <summary>
    /// Peripheral gateways (one per ACD) feed the center's statistics engine on the central vhost (issue 16,
    /// docs/wire-format.md "Activity from peripheral gateways").
    /// </summary>
    public static class Activity
    {
        /// <summary>Topic exchange of peripheral events (<c>PeripheralEvent</c>), one a message; routing key <see cref="RoutingKey"/>.</summary>
        public const string Exchange = "rtd.central.activity";

        /// <summary>The central controller consumes every peripheral's events from this queue (bound "peripheral.*").</summary>
        public const string Queue = "rtd.central.activity-events";

        /// <summary>Topic exchange where the center asks a gateway for a resync; routing key <see cref="RoutingKey"/>.</summary>
        public const string ControlExchange = "rtd.central.gateway-control";

        /// <summary>"peripheral.{id}": a gateway role may write only its own (infra/rabbitmq/roles.conf).</summary>
        public static string RoutingKey(long peripheralId) => $"peripheral.{peripheralId}";

        /// <summary>The binding key of the center's queue on <see cref="Exchange"/>: every peripheral's <see cref="RoutingKey"/>.</summary>
        public const string AllPeripherals = "peripheral.*";

        /// <summary>A gateway's own queue of resync requests, bound to <see cref="ControlExchange"/> with its <see cref="RoutingKey"/>.</summary>
        public static string GatewayQueue(long peripheralId) => $"rtd.central.gateway.{peripheralId}.control";

        /// <summary>Events a center holds unacknowledged at once.</summary>
        public const ushort InFlight = 1000;

        /// <summary>The activity exchange, declared by the broker definitions (topology.conf): no role may configure it.</summary>
        public static DeclaredExchange DeclaredExchange => new(Exchange, TopicExchange);

        /// <summary>The gateway control exchange, declared by the broker definitions (topology.conf): no role may configure it.</summary>
        public static DeclaredExchange DeclaredControlExchange => new(ControlExchange, TopicExchange);

        /// <summary>
        /// The arguments of the center's durable queue of events (<see cref="Queue"/>, bound <see cref="AllPeripherals"/>; its
        /// error queue "{queue}_error" holds refused events, alone, with their reason in MT-Fault-Message). A gateway's
        /// <see cref="GatewayQueue"/> is non-durable, exclusive and auto-delete: it goes with its connection.
        /// </summary>
        public static IReadOnlyDictionary<string, object?> QueueArguments => new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
    }
}
