using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The one place that names every virtual host, exchange, queue, routing key and queue argument.
/// Names read in the RabbitMQ management UI as "rtd.{who}.{process}.{flow}":
/// an operator who sees one knows which site, which process and which flow it carries.
/// </summary>
public static class Topology
{
    public const string TopicExchange = "topic";
    public const string AllKeys = "#";

    /// <summary>MassTransit moves a message that failed all its retries to "{queue}_error", with the reason in its headers.</summary>
    public const string ErrorQueueSuffix = "_error";

    /// <summary>MassTransit moves a message no consumer of the queue takes to "{queue}_skipped".</summary>
    public const string SkippedQueueSuffix = "_skipped";

    public static string ErrorQueue(string queue) => queue + ErrorQueueSuffix;

    /// <summary>True for the queues where MassTransit parks messages: "{queue}_error" and "{queue}_skipped".</summary>
    public static bool IsParkingQueue(string queue) =>
        queue.EndsWith(ErrorQueueSuffix, StringComparison.Ordinal) || queue.EndsWith(SkippedQueueSuffix, StringComparison.Ordinal);

    /// <summary>The queue a parked message came from: "{queue}" for "{queue}_error" or "{queue}_skipped", else null.</summary>
    public static string? OriginalQueue(string parkingQueue) =>
        parkingQueue.EndsWith(ErrorQueueSuffix, StringComparison.Ordinal) ? parkingQueue[..^ErrorQueueSuffix.Length]
        : parkingQueue.EndsWith(SkippedQueueSuffix, StringComparison.Ordinal) ? parkingQueue[..^SkippedQueueSuffix.Length]
        : null;

    /// <summary>
    /// A process's own bus endpoint (MassTransit's temporary queue and exchange, where request/response replies would
    /// arrive): "{owner}.bus-{id}", inside the names its broker user may use, instead of MassTransit's
    /// "{machine}_{process}_bus_{id}", which every role would need rights on (so one could write into another's).
    /// </summary>
    public static string BusEndpoint(string owner) => $"{owner}.bus-{Guid.NewGuid():N}";

    /// <summary>True for a process's temporary bus endpoint (<see cref="BusEndpoint"/>, or MassTransit's default name): gone with the process.</summary>
    public static bool IsBusEndpoint(string queue) =>
        queue.Contains(".bus-", StringComparison.Ordinal) || queue.Contains("_bus_", StringComparison.Ordinal);

    /// <summary>The central controller's virtual host: the feed every site consumes.</summary>
    public static class Central
    {
        public const string VirtualHost = "rtd-central";

        /// <summary>Topic exchange of configuration changes; routing key "{table}.{operation}".</summary>
        public const string ConfigExchange = "rtd.central.config";

        /// <summary>Topic exchange of real-time batches; routing key "{table}".</summary>
        public const string RealTimeExchange = "rtd.central.realtime";

        /// <summary>The central controller serves configuration snapshots (request/response) from this queue.</summary>
        public const string ConfigSnapshotQueue = "rtd.central.config-snapshots";

        /// <summary>
        /// Where a distributor sends snapshot requests (<c>exchange:</c> address): an exchange bound to <see cref="ConfigSnapshotQueue"/>,
        /// named apart from it, so a distributor's rights on it (declare, publish) give none on the queue (infra/rabbitmq/roles.conf).
        /// </summary>
        public const string ConfigSnapshotRequestExchange = "rtd.central.config-snapshot-requests";

        /// <summary>A configuration snapshot request goes to <see cref="ConfigSnapshotRequestExchange"/> (fanout) on the central vhost.</summary>
        public static SnapshotRequestRoute ConfigSnapshotRequests(string virtualHost) => new(virtualHost, ConfigSnapshotRequestExchange, "fanout");

        /// <summary>Rows per configuration snapshot chunk, so a configuration of 100,000 entities never forms one giant message.</summary>
        public const int ConfigSnapshotChunkRows = 5000;

        /// <summary>
        /// The central controller's snapshot queue, fed by <see cref="ConfigSnapshotRequestExchange"/> (<see cref="ConfigSnapshotBindings"/>);
        /// a quorum queue, like every queue of the central vhost that outlives a connection, so a central cluster keeps it
        /// through the loss of any one node (docs/operations.md, "Central broker cluster").
        /// </summary>
        public static IReadOnlyList<ExchangeBinding> ConfigSnapshotBindings => [new(new(ConfigSnapshotRequestExchange, "fanout"), "")];

        /// <summary>The central controller serves real-time snapshots (request/response, streamed in chunks) from this queue.</summary>
        public const string RealTimeSnapshotQueue = "rtd.central.realtime-snapshots";

        /// <summary>
        /// Where a distributor sends real-time snapshot requests: an exchange bound to <see cref="RealTimeSnapshotQueue"/>, named
        /// apart from it for the same reason as <see cref="ConfigSnapshotRequestExchange"/>.
        /// </summary>
        public const string RealTimeSnapshotRequestExchange = "rtd.central.realtime-snapshot-requests";

        /// <summary>A real-time snapshot request goes to <see cref="RealTimeSnapshotRequestExchange"/> (fanout) on the central vhost.</summary>
        public static SnapshotRequestRoute RealTimeSnapshotRequests(string virtualHost) => new(virtualHost, RealTimeSnapshotRequestExchange, "fanout");

        /// <summary>At most this many rows per real-time snapshot chunk (the same bound as a real-time batch).</summary>
        public const int RealTimeSnapshotChunkRows = 500;

        /// <summary>
        /// And at most this many bytes of JSON per chunk: rows differ in size (an agent row is about 250 bytes, a skill group
        /// row about 950), so the chunk is closed when the next row would cross this bound; 100,000 agents never form one message.
        /// </summary>
        public const int RealTimeSnapshotChunkMaxBytes = 128 * 1024;

        /// <summary>A real-time snapshot request nobody took within this time expires: a requester waits less than that.</summary>
        public static readonly TimeSpan RealTimeSnapshotRequestTtl = TimeSpan.FromSeconds(60);

        /// <summary>
        /// Where a requester on the central vhost (a site's distributor instance and flow, "{instance}-config", or a test)
        /// receives snapshot chunks: a queue of its own, declared for the request, reached through the default exchange. It lies in the "rtd.{site}.distributor.*"
        /// names the distributor role may declare and read (infra/rabbitmq/roles.conf).
        /// </summary>
        public static string SnapshotReplyQueue(string site, string requester) => $"rtd.{site}.distributor.snapshot-replies-{requester}";

        /// <summary>
        /// The central controller sends snapshot chunks through the default exchange, where the broker would let it write to any
        /// queue of the vhost, a distributor's config queue included. So it answers only a reply-to that is a
        /// <see cref="SnapshotReplyQueue"/> of the requesting site: a name no other flow uses.
        /// </summary>
        public static bool IsSnapshotReplyQueue(string site, string? replyTo) =>
            replyTo is not null && replyTo.StartsWith(SnapshotReplyQueue(site, ""), StringComparison.Ordinal)
            && replyTo.Length > SnapshotReplyQueue(site, "").Length
            && replyTo[SnapshotReplyQueue(site, "").Length..].All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

        /// <summary>The central controller's real-time snapshot queue (quorum) drops requests older than <see cref="RealTimeSnapshotRequestTtl"/>.</summary>
        public static IReadOnlyDictionary<string, object?> RealTimeSnapshotQueueArguments =>
            new Dictionary<string, object?> { ["x-message-ttl"] = (int)RealTimeSnapshotRequestTtl.TotalMilliseconds };

        /// <summary>The central controller's real-time snapshot queue is fed by <see cref="RealTimeSnapshotRequestExchange"/>.</summary>
        public static IReadOnlyList<ExchangeBinding> RealTimeSnapshotBindings => [new(new(RealTimeSnapshotRequestExchange, "fanout"), "")];

        /// <summary>
        /// The central vhost's exchanges that the broker definitions declare (infra/rabbitmq/topology.conf; no role may
        /// configure them): the two streams, the two snapshot request exchanges, and the peripheral gateways' two
        /// (<see cref="Activity"/>).
        /// </summary>
        public static IReadOnlyList<DeclaredExchange> DeclaredExchanges =>
        [
            new(ConfigExchange, TopicExchange),
            new(RealTimeExchange, TopicExchange),
            new(ConfigSnapshotRequestExchange, "fanout"),
            new(RealTimeSnapshotRequestExchange, "fanout"),
            Activity.DeclaredExchange,
            Activity.DeclaredControlExchange,
        ];

        /// <summary>The owner part of the central controller's <see cref="BusEndpoint"/>.</summary>
        public const string ControllerBusOwner = "rtd.central.controller";

        /// <summary>The owner part of a site's distributor's <see cref="BusEndpoint"/>s (central and site vhost): "rtd.{site}.distributor".</summary>
        public static string DistributorBusOwner(string site) => $"rtd.{site}.distributor";

        /// <summary>Quorum queue, single active consumer: a site's distributor applies config changes from it in order.</summary>
        public static string DistributorConfigQueue(string site) => $"rtd.{site}.distributor.config";

        /// <summary>Bounded queue: a site's distributor applies real-time batches from it.</summary>
        public static string DistributorRealTimeQueue(string site) => $"rtd.{site}.distributor.realtime";

        /// <summary>
        /// The connection name a site's distributor instance opens the central vhost with: the management UI (and
        /// `rtd status`) shows by it which instance is the single active consumer of the site's queues.
        /// </summary>
        public static string DistributorConnectionName(string site, string instance) => $"rtd {site} distributor {instance}";

        /// <summary>The instance in a <see cref="DistributorConnectionName"/> of this site, else null.</summary>
        public static string? DistributorInstanceOf(string site, string? connectionName) =>
            connectionName is not null && connectionName.StartsWith(DistributorConnectionName(site, ""), StringComparison.Ordinal)
                ? connectionName[DistributorConnectionName(site, "").Length..]
                : null;

        /// <summary>
        /// Config changes a distributor holds unacknowledged at once: a run publishing, the next one applying, and the start
        /// of the one after (runs of up to 1,000 changes). Much more only adds lock contention among the waiting consumers.
        /// </summary>
        public const int DistributorConfigInFlight = 2_500;

        /// <summary>Real-time messages (up to 500 rows each) a distributor holds unacknowledged at once.</summary>
        public const int DistributorRealTimeInFlight = 100;

        /// <summary>
        /// Length bound of a site's config queue: a million changes, about 17 minutes of a 1,000 changes/s burst and weeks
        /// of ordinary editing, about 0.5 GB on the center's disk at ~500 bytes a change.
        /// </summary>
        public const int DistributorConfigQueueMaxLength = 1_000_000;

        /// <summary>Byte bound of a site's config queue (whichever bound comes first drops the oldest change): 1 GiB.</summary>
        public const long DistributorConfigQueueMaxBytes = 1L << 30;

        /// <summary>Length bound of a distributor's real-time queue; the oldest batches drop first and the full refresh heals them.</summary>
        public const int DistributorRealTimeQueueMaxLength = 10_000;

        public static string ConfigRoutingKey(string table, string operation) => $"{table}.{operation}";

        public static string RealTimeRoutingKey(string table) => table;

        /// <summary>
        /// The arguments of a site's config queue: quorum, single active consumer (its error queue: "{queue}_error", a
        /// classic durable queue behind a fanout exchange of its name). The distributor consumes it with raw RabbitMQ.Client
        /// (ConfigChangedConsumer), up to <see cref="DistributorConfigInFlight"/> changes at once, which its apply loop puts
        /// back in sequence order (ConfigStream), so a backlog drains in runs.
        /// </summary>
        /// <remarks>
        /// Bounded (issue 14): a site whose WAN link is down for days must not fill the center's disk. Beyond
        /// <paramref name="maxLength"/> changes (default <see cref="DistributorConfigQueueMaxLength"/>,
        /// Distributor:CentralQueueMaxLength) or <see cref="DistributorConfigQueueMaxBytes"/> the OLDEST change is dropped
        /// (x-overflow drop-head): when the site comes back its next change is not the one after its replica's, the apply
        /// loop sees the gap and resyncs from a central snapshot. A backlog beyond the bound ends in a resync, never a silent gap.
        /// A queue declared earlier without these arguments refuses the declaration (PRECONDITION_FAILED): delete it once
        /// (the distributor redeclares it; its site then catches up from a snapshot) (docs/operations.md).
        /// </remarks>
        public static IReadOnlyDictionary<string, object?> DistributorConfigQueueArguments(int maxLength = DistributorConfigQueueMaxLength) =>
            new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-single-active-consumer"] = true,
                ["x-max-length"] = maxLength,
                ["x-max-length-bytes"] = DistributorConfigQueueMaxBytes,
                ["x-overflow"] = "drop-head",
            };

        /// <summary>
        /// A site's real-time queue: a bounded quorum queue (oldest dropped first, the full refresh heals them), single
        /// active consumer shared by the site's A/B distributors; these are its length arguments.
        /// </summary>
        public static IReadOnlyDictionary<string, object?> DistributorRealTimeQueueArguments =>
            new Dictionary<string, object?> { ["x-max-length"] = DistributorRealTimeQueueMaxLength, ["x-overflow"] = "drop-head" };

        /// <summary>A distributor's real-time queue takes every real-time batch.</summary>
        public static IReadOnlyList<ExchangeBinding> DistributorRealTimeBindings => [new(new(RealTimeExchange, TopicExchange), AllKeys)];
    }

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

    /// <summary>A site's virtual host: what its distributor hands to its client workstations.</summary>
    public static class Site
    {
        public static string VirtualHost(string site) => $"rtd-{site}";

        /// <summary>Topic exchange of applied configuration changes, one change a message; routing key "{table}.{key}".</summary>
        public static string ConfigExchange(string site) => $"rtd.{site}.config";

        /// <summary>Topic exchange of applied real-time rows, many rows of one table a message; routing key "{table}".</summary>
        public static string RealTimeExchange(string site) => $"rtd.{site}.realtime";

        /// <summary>
        /// Rows per real-time site message: a full refresh of a 12,000-agent center is 12 agent messages instead of 12,000,
        /// while a message stays around a megabyte at most (agent rows are about 250 bytes of JSON, skill-group rows about
        /// 1 KB) and one message is a small part of what a client's queue prefetches.
        /// </summary>
        public const int RealTimeRowsPerMessage = 1000;

        /// <summary>Routing key of a real-time site message: the table alone (one word), which no "{table}.{key}" pattern matches.</summary>
        public static string RealTimeRoutingKey(string table) => table;

        /// <summary>
        /// The binding keys a client needs on <see cref="RealTimeExchange"/> for its topic patterns: real-time messages are
        /// routed by table, so each pattern binds its first word ("agent.1001" and "agent.*" bind "agent", "*.10" binds
        /// "*", "#" binds "#"); the client then keeps the rows whose "{table}.{key}" the pattern matches (<see cref="TopicPattern"/>).
        /// </summary>
        public static IReadOnlyList<string> RealTimeBindings(IEnumerable<string> patterns) =>
            [.. patterns.Select(p => p.Split('.')[0]).Distinct(StringComparer.Ordinal)];

        /// <summary>A client workstation's own queue: bounded, and deleted by the broker when abandoned.</summary>
        public static string ClientQueue(string site, string workstation) => $"rtd.{site}.client.{workstation}";

        /// <summary>
        /// Where a workstation sends snapshot requests: a topic exchange bound to <see cref="SnapshotQueue"/>, named apart
        /// from it (see Central.ConfigSnapshotRequestExchange), so a workstation's rights to publish give none on the queue.
        /// </summary>
        public static string SnapshotRequestExchange(string site) => $"rtd.{site}.snapshot-requests";

        public const int ClientQueueMaxLength = 100_000;

        public static readonly TimeSpan ClientQueueExpiry = TimeSpan.FromMinutes(30);

        public static string RoutingKey(string table, string key) => $"{table}.{key}";

        /// <summary>The site's distributors serve snapshots (SiteSnapshotRequested) from this queue, competing consumers.</summary>
        public static string SnapshotQueue(string site) => $"rtd.{site}.distributor.snapshots";

        /// <summary>A snapshot request nobody took within this time expires: its client has asked again by then.</summary>
        public static readonly TimeSpan SnapshotRequestTtl = TimeSpan.FromSeconds(60);

        /// <summary>A workstation's snapshot request goes to <see cref="SnapshotRequestExchange"/> (topic) on the site's vhost.</summary>
        public static SnapshotRequestRoute SnapshotRequests(string site) => new(VirtualHost(site), SnapshotRequestExchange(site), TopicExchange);

        /// <summary>Rows per site snapshot chunk, so a snapshot of 100,000 rows never forms one giant message.</summary>
        public const int SnapshotChunkRows = 1000;

        /// <summary>A client workstation receives its snapshot chunks on this queue (deleted when the client disconnects).</summary>
        public static string ClientSnapshotQueue(string site, string workstation) => $"rtd.{site}.client.{workstation}.snapshots";

        /// <summary>
        /// A distributor sends snapshot chunks through the default exchange, where the broker would let it write to any queue
        /// of the site's vhost, a workstation's stream queue included. So it answers only a reply-to that is the
        /// <see cref="ClientSnapshotQueue"/> of some workstation of the site: a name no other flow uses.
        /// </summary>
        public static bool IsClientSnapshotQueue(string site, string? replyTo)
        {
            var (prefix, suffix) = (ClientQueue(site, ""), ".snapshots");
            return replyTo is not null && replyTo.StartsWith(prefix, StringComparison.Ordinal) && replyTo.EndsWith(suffix, StringComparison.Ordinal)
                && replyTo.Length > prefix.Length + suffix.Length && Identifiers.IsValid(replyTo[prefix.Length..^suffix.Length]);
        }

        /// <summary>
        /// The site's snapshot queue: durable, no expiry of its own, requests older than <see cref="SnapshotRequestTtl"/>
        /// dropped; fed by <see cref="SnapshotRequestExchange"/>.
        /// </summary>
        public static IReadOnlyDictionary<string, object?> SnapshotQueueArguments =>
            new Dictionary<string, object?> { ["x-message-ttl"] = (int)SnapshotRequestTtl.TotalMilliseconds };

        /// <summary>The site's snapshot queue takes every request of <see cref="SnapshotRequestExchange"/>.</summary>
        public static IReadOnlyList<ExchangeBinding> SnapshotQueueBindings(string site) => [new(new(SnapshotRequestExchange(site), TopicExchange), AllKeys)];

        /// <summary>
        /// Routing key of the site status message (kind "status", table "center") on <see cref="RealTimeExchange"/>: whether
        /// the distributor reaches the center (docs/wire-format.md). Every client queue is bound with it.
        /// </summary>
        public const string StatusRoutingKey = "status";

        public static IEnumerable<string> Exchanges(string site) => [ConfigExchange(site), RealTimeExchange(site)];

        /// <summary>
        /// A site vhost's exchanges that the broker definitions declare (infra/rabbitmq/topology.conf; no role may configure
        /// them): the two streams and the snapshot request exchange.
        /// </summary>
        public static IReadOnlyList<DeclaredExchange> DeclaredExchanges(string site) =>
        [
            new(ConfigExchange(site), TopicExchange),
            new(RealTimeExchange(site), TopicExchange),
            new(SnapshotRequestExchange(site), TopicExchange),
        ];

        public static string ExchangeFor(string site, string kind) => kind == SiteUpdate.RealTimeKind ? RealTimeExchange(site) : ConfigExchange(site);

        /// <summary>
        /// The routing key of a reset (<see cref="SiteUpdate.ResetKind"/>) on <see cref="ConfigExchange"/>: one word, so no
        /// "{table}.{key}" pattern matches it by accident; every client queue binds it (<see cref="ClientQueueBindings"/>),
        /// so a client bound to single keys of a quiet table still hears of a resync or a takeover at once.
        /// </summary>
        public const string ResetRoutingKey = "reset";

        /// <summary>
        /// A client's own queue: bounded (oldest dropped first, which the client notices as a site-sequence gap), expiring
        /// when abandoned (bound with <see cref="ClientQueueBindings"/>).
        /// </summary>
        public static IReadOnlyDictionary<string, object?> ClientQueueArguments(int maxLength = ClientQueueMaxLength) =>
            new Dictionary<string, object?>
            {
                ["x-max-length"] = maxLength,
                ["x-overflow"] = "drop-head",
                ["x-expires"] = (int)ClientQueueExpiry.TotalMilliseconds,
            };

        /// <summary>
        /// A client's queue on the site exchanges: its routing keys and <see cref="ResetRoutingKey"/> on the config exchange,
        /// their tables and <see cref="StatusRoutingKey"/> on the real-time one.
        /// </summary>
        public static IReadOnlyList<ExchangeBinding> ClientQueueBindings(string site, IReadOnlyList<string> bindings)
        {
            var realTimeKeys = RealTimeBindings(bindings);
            if (!realTimeKeys.Contains(AllKeys) && !realTimeKeys.Contains("*"))
            {
                realTimeKeys = [.. realTimeKeys, StatusRoutingKey];
            }
            return
            [
                .. bindings.Append(ResetRoutingKey).Select(key => new ExchangeBinding(new(ConfigExchange(site), TopicExchange), key)),
                .. realTimeKeys.Select(key => new ExchangeBinding(new(RealTimeExchange(site), TopicExchange), key)),
            ];
        }
    }
}
