using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Hosting;

public static partial class Topology
{
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

        /// <summary>A workstation's broker user, as infra/rabbitmq/roles.conf names it: "rtd-{site}-ws-{workstation}".</summary>
        public static string WorkstationUser(string site, string workstation) => $"rtd-{site}-ws-{workstation}";

        /// <summary>
        /// Whether <paramref name="sender"/>, the broker-validated user_id of a site snapshot request, may have the snapshot
        /// sent to <paramref name="replyTo"/>: a workstation's user only to its own <see cref="ClientSnapshotQueue"/>; a user
        /// of no workstation (a full-rights operator's) to any workstation's.
        /// </summary>
        public static bool MayReceiveSnapshot(string sender, string site, string replyTo) =>
            !sender.StartsWith(WorkstationUser(site, ""), StringComparison.Ordinal)
            || replyTo == ClientSnapshotQueue(site, sender[WorkstationUser(site, "").Length..]);

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
