using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Hosting;

public static partial class Topology
{
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

        /// <summary>A site's distributor's broker user, as infra/rabbitmq/roles.conf names it: "rtd-{site}-distributor".</summary>
        public static string DistributorUser(string site) => $"rtd-{site}-distributor";

        /// <summary>
        /// Whether <paramref name="sender"/>, the broker-validated user_id of a central snapshot request, may ask for
        /// <paramref name="site"/>'s snapshots: a site's distributor user only for its own site; a user of no site (a
        /// full-rights operator's) for any.
        /// </summary>
        public static bool MayRequestSnapshotOf(string sender, string site) =>
            !(sender.StartsWith("rtd-", StringComparison.Ordinal) && sender.EndsWith("-distributor", StringComparison.Ordinal)) || sender == DistributorUser(site);

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
}
