using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>
/// At least <see cref="PerQueue"/> hostile messages on every queue a process of the site consumes (the distributor's
/// config, real-time and snapshot queues, the center's two snapshot queues, the queue of the client bound to everything), while the load goes on:
/// bad JSON, wrong types, 5 MB bodies, negative and far-future sequences, unknown tables, forged sites, a wrong content
/// type, bytes that are not text. Each must be accounted for, the process keeps running, and the good messages around
/// them apply (the oracle). A message that does not parse, or that parses and cannot apply, ends in the queue's error
/// queue (`_error`, or `_skipped` for a message no consumer takes) with its reason. Some parse and are refused by their
/// content without being parked, which is right; each such message is counted where the system counts it
/// (<see cref="Account"/>): a configuration change of a sequence the replica has is a duplicate (republished with the
/// content of record), a real-time row of version 1 is stale, a snapshot request whose reply-to is not a snapshot reply
/// queue of its site is refused, logged and counted in the host's /stats (snapshotRequestsRefused), a site message is
/// refused (another site, sequences that do not fit) or ignored (no epoch: lower than the view's) by the client, logged
/// and counted in its /stats.
/// </summary>
internal sealed class HostileMessages : Scenario
{
    public const int PerQueue = 1000;
    private const int FiveMegabytes = 5 * 1024 * 1024;

    private readonly Dictionary<(string VirtualHost, string Queue), long> _sent = [];
    private readonly Dictionary<(string VirtualHost, string Queue), long> _parkedBefore = [];
    private readonly Dictionary<Account, (long Before, long Expected)> _accounts = [];

    public override string Name => "hostile-messages";

    public override string Proves => $"{PerQueue} hostile messages on every consumed queue are each parked in an error queue with its reason or refused by "
        + "their content and counted there, alone: the process keeps running and the good messages around them apply";

    /// <summary>
    /// Where the hostile messages the system rightly does not park are counted: what they are, and a counter read at the
    /// system. With <paramref name="CopiesJoin"/> the counter counts once for many copies (configuration changes of one
    /// sequence that meet in the distributor join one duplicate), so it must only rise.
    /// </summary>
    public sealed record Account(string What, Func<Task<long>> Count, bool CopiesJoin = false);

    private static IEnumerable<(string VirtualHost, string Queue, Shape Shape, Account Otherwise)> Targets(ChaosSystem system, string site)
    {
        var central = system.CentralVirtualHost;
        var distributors = system.Distributors[site].Values.ToList();
        var refusedRequests = new Account("snapshot requests the center refused (reply-to not a snapshot reply queue of the site: snapshotRequestsRefused)",
            () => StatsAsync(system.Centers, "snapshotRequestsRefused"));
        yield return (central, Topology.Central.DistributorConfigQueue(site), Shape.ConfigChange,
            new Account("copies of applied changes the distributors skipped as duplicates (configDuplicates)", () => StatsAsync(distributors, "configDuplicates"),
                CopiesJoin: true));
        yield return (central, Topology.Central.DistributorRealTimeQueue(site), Shape.RealTimeBatch,
            new Account("real-time rows the distributors skipped as stale or unchanged (realTimeRowsStale + realTimeRowsUnchanged)",
                () => StatsAsync(distributors, "realTimeRowsStale", "realTimeRowsUnchanged")));
        yield return (central, Topology.Central.ConfigSnapshotQueue, Shape.SnapshotRequest, refusedRequests);
        yield return (central, Topology.Central.RealTimeSnapshotQueue, Shape.SnapshotRequest, refusedRequests);
        yield return ($"rtd-{site}", Topology.Site.SnapshotQueue(site), Shape.SnapshotRequest,
            new Account("snapshot requests the distributors refused (snapshotRequestsRefused)", () => StatsAsync(distributors, "snapshotRequestsRefused")));
        // the client with the whole queue: ws2's 50-message queue would drop most of them itself (drop-head), before any client saw them
        foreach (var client in system.Clients.Where(c => c.Site == site && !c.Bindings.SequenceEqual(ChaosSystem.FilteredBindings)))
        {
            yield return ($"rtd-{site}", Topology.Site.ClientQueue(site, client.Workstation), Shape.SiteUpdate,
                new Account($"site messages {client.Workstation} refused or ignored as of a lower epoch (refused + staleEpochs)",
                    () => StatsAsync([client.Process], "refused", "staleEpochs")));
        }
    }

    public enum Shape
    {
        ConfigChange,
        RealTimeBatch,
        SnapshotRequest,
        SiteUpdate,
    }

    public override async Task InjectAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        _sent.Clear();
        _parkedBefore.Clear();
        _accounts.Clear();
        foreach (var group in Targets(run.System, run.Site).GroupBy(t => t.VirtualHost))
        {
            await using var connection = await run.System.Broker.Connection(group.Key).CreateConnectionAsync(cancellationToken);
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            foreach (var (vhost, queue, shape, otherwise) in group)
            {
                _parkedBefore[(vhost, queue)] = await ParkedAsync(run, vhost, queue);
                var (before, expected) = _accounts.TryGetValue(otherwise, out var account) ? account : (await otherwise.Count(), 0);
                expected += Enumerable.Range(0, PerQueue).Count(i => !Parks(shape, i));
                _accounts[otherwise] = (before, otherwise.CopiesJoin ? Math.Min(expected, 1) : expected);
                for (var i = 0; i < PerQueue; i++)
                {
                    var (body, contentType) = Hostile(shape, run.Site, i);
                    var properties = new BasicProperties { ContentType = contentType, MessageId = MessageId(i), Persistent = true };
                    await channel.BasicPublishAsync("", queue, false, properties, body, cancellationToken);
                }
                _sent[(vhost, queue)] = Enumerable.Range(0, PerQueue).Count(i => Parks(shape, i));
            }
        }
    }

    public override async Task CheckAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var parked = new Dictionary<(string VirtualHost, string Queue), long>();
        var left = new Dictionary<(string VirtualHost, string Queue), long>();
        var counted = new Dictionary<Account, long>();
        async Task<bool> AllAccountedForAsync()
        {
            foreach (var ((vhost, queue), _) in _sent)
            {
                parked[(vhost, queue)] = await ParkedAsync(run, vhost, queue) - _parkedBefore[(vhost, queue)];
                left[(vhost, queue)] = await run.System.Management.MessagesAsync(vhost, queue);
            }
            foreach (var (account, (before, _)) in _accounts)
            {
                counted[account] = await account.Count() - before;
            }
            return _sent.All(s => parked[s.Key] >= s.Value && left[s.Key] == 0) && _accounts.All(a => counted[a.Key] >= a.Value.Expected);
        }
        // the oracle has waited for the system to settle already: the error queues get a little longer, once for all
        await TimeUntilAsync(AllAccountedForAsync, TimeSpan.FromSeconds(30), cancellationToken);
        foreach (var ((vhost, queue), expected) in _sent.Where(s => parked[s.Key] < s.Value))
        {
            run.Violation($"{queue}: {parked[(vhost, queue)]} of the {expected} hostile messages that must be parked reached its error queue; "
                + $"missing: {await MissingAsync(run, vhost, queue)}");
        }
        foreach (var ((_, queue), messages) in left.Where(l => l.Value > 0))
        {
            run.Violation($"{queue}: {messages} messages not consumed (every hostile message must be parked or refused)");
        }
        foreach (var (account, (_, expected)) in _accounts.Where(a => counted[a.Key] < a.Value.Expected))
        {
            run.Violation($"{counted[account]} of {expected} {account.What}");
        }
    }

    /// <summary>Whether the i-th hostile message of <paramref name="shape"/> must end in an error queue (else it is refused by its content and counted).</summary>
    public static bool Parks(Shape shape, int i) => shape switch
    {
        // a sequence (version) of 1 on a real table and key: a duplicate of a change the replica has (a stale row)
        Shape.ConfigChange or Shape.RealTimeBatch => Kind(i) is not ("forged site" or "5 MB"),
        // a request or site message that parses is refused for what it says (reply-to, site, sequences, epoch), logged and counted
        _ => Kind(i) is "cut-off JSON" or "wrong types" or "bytes" or "empty array",
    };

    /// <summary>The hostile messages of this run not in the queue's error queues, counted by kind ("forged site 111, ...").</summary>
    private async Task<string> MissingAsync(ChaosRun run, string vhost, string queue)
    {
        var parked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parking in new[] { Topology.ErrorQueue(queue), queue + "_skipped" })
        {
            parked.UnionWith(await run.System.Management.MessageIdsAsync(vhost, parking, 10 * PerQueue));
        }
        return string.Join(", ", Enumerable.Range(0, PerQueue).Where(i => !parked.Contains(MessageId(i)))
            .GroupBy(Kind).Select(g => $"{g.Key} {g.Count()}"));
    }

    private static string MessageId(int i) => $"hostile-{i}";

    private static async Task<long> ParkedAsync(ChaosRun run, string vhost, string queue) =>
        await run.System.Management.MessagesAsync(vhost, Topology.ErrorQueue(queue)) + await run.System.Management.MessagesAsync(vhost, queue + "_skipped");

    /// <summary>The sum of number fields of the hosts' /stats (0 for a host that does not answer).</summary>
    private static async Task<long> StatsAsync(IEnumerable<HostProcess> hosts, params string[] fields)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var sum = 0L;
        foreach (var host in hosts)
        {
            try
            {
                using var stats = JsonDocument.Parse(await http.GetStringAsync(new Uri(host.Url, "/stats")));
                sum += fields.Sum(f => stats.RootElement.TryGetProperty(f, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetInt64() : 0);
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
            {
            }
        }
        return sum;
    }

    /// <summary>The kind of the i-th hostile message.</summary>
    public static string Kind(int i) => (i % 9) switch
    {
        0 => "cut-off JSON",
        1 => "wrong types",
        2 when i < 18 => "5 MB",
        2 => "negative number",
        3 => "2^63-1",
        4 => "unknown table",
        5 => "forged site",
        6 => "text/plain",
        7 => "bytes",
        _ => "empty array",
    };

    /// <summary>The i-th hostile message for a queue of <paramref name="shape"/>: its body and content type.</summary>
    public static (byte[] Body, string ContentType) Hostile(Shape shape, string site, int i)
    {
        const string json = "application/json";
        return Kind(i) switch
        {
            "cut-off JSON" => (Encoding.UTF8.GetBytes("{\"sequence\": 1, \"table\": "), json),
            "wrong types" => (Encoding.UTF8.GetBytes("""{"sequence":"one","site":42,"rows":"none","table":[],"key":{},"siteSequence":"x"}"""), json),
            "5 MB" => (Valid(shape, site, 1, "agent", new string('x', FiveMegabytes)), json),
            "negative number" => (Valid(shape, site, -5, "agent"), json),
            "2^63-1" => (Valid(shape, site, long.MaxValue, "agent"), json),
            "unknown table" => (Valid(shape, site, 1, "nosuchtable"), json),
            "forged site" => (Valid(shape, "forged-site", 1, "agent"), json),
            "text/plain" => (Valid(shape, site, 1, "agent"), "text/plain"),
            "bytes" => ([0xff, 0xfe, 0x00, 0x01, (byte)i], "application/octet-stream"),
            _ => (Encoding.UTF8.GetBytes("[]"), json),
        };
    }

    /// <summary>A message of the queue's shape, right but for what the arguments make wrong.</summary>
    private static byte[] Valid(Shape shape, string site, long number, string table, string name = "hostile")
    {
        var now = DateTimeOffset.UtcNow;
        object message = shape switch
        {
            Shape.ConfigChange => new { sequence = number, previousSequence = number - 1, table, operation = "upsert", key = "1", row = new { id = 1, name, peripheralId = 1, configSequence = number }, committedAt = now },
            Shape.RealTimeBatch => new { table, fullRefresh = false, publishedAt = now, rows = new[] { new { key = "1", version = number, updatedAt = now, data = new { name } } } },
            Shape.SnapshotRequest => new { site, workstation = "ws1", reason = name, snapshotId = Guid.NewGuid(), replyTo = $"rtd.{site}.distributor.config", tables = new[] { table }, bindings = new[] { "#" }, requestedAt = now },
            _ => new { site, siteSequence = number, kind = "config", table, key = "1", config = new { sequence = number, previousSequence = number - 1, table, operation = "upsert", key = "1", row = new { id = 1, name }, committedAt = now }, publishedAt = now },
        };
        return JsonSerializer.SerializeToUtf8Bytes(message, Json.Options);
    }
}
