using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Cli.Chaos;

/// <summary>
/// At least <see cref="PerQueue"/> hostile messages on every queue a process of the site consumes (the distributor's
/// config, real-time and snapshot queues, the center's two snapshot queues, the queue of the client bound to everything), while the load goes on:
/// bad JSON, wrong types, 5 MB bodies, negative and far-future sequences, unknown tables, forged sites, a wrong content
/// type, bytes that are not text. Each must end in the queue's error queue (`_error`, or `_skipped` for a message no
/// consumer takes) with its reason, the process keeps running, and the good messages around them apply (the oracle).
/// </summary>
public sealed class HostileMessages : Scenario
{
    public const int PerQueue = 1000;
    private const int FiveMegabytes = 5 * 1024 * 1024;

    private readonly Dictionary<(string VirtualHost, string Queue), long> _sent = [];
    private readonly Dictionary<(string VirtualHost, string Queue), long> _parkedBefore = [];

    public override string Name => "hostile-messages";

    public override string Proves => $"{PerQueue} hostile messages on every consumed queue each end in an error queue, alone: the process keeps running and the good messages around them apply";

    private static IEnumerable<(string VirtualHost, string Queue, Shape Shape)> Targets(ChaosSystem system, string site)
    {
        var central = system.CentralVirtualHost;
        yield return (central, Topology.Central.DistributorConfigQueue(site), Shape.ConfigChange);
        yield return (central, Topology.Central.DistributorRealTimeQueue(site), Shape.RealTimeBatch);
        yield return (central, Topology.Central.ConfigSnapshotQueue, Shape.SnapshotRequest);
        yield return (central, Topology.Central.RealTimeSnapshotQueue, Shape.SnapshotRequest);
        yield return ($"rtd-{site}", Topology.Site.SnapshotQueue(site), Shape.SnapshotRequest);
        // the client with the whole queue: ws2's 50-message queue would drop most of them itself (drop-head), before any client saw them
        foreach (var client in system.Clients.Where(c => c.Site == site && !c.Bindings.SequenceEqual(ChaosSystem.FilteredBindings)))
        {
            yield return ($"rtd-{site}", Topology.Site.ClientQueue(site, client.Workstation), Shape.SiteUpdate);
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
        foreach (var group in Targets(run.System, run.Site).GroupBy(t => t.VirtualHost))
        {
            await using var connection = await run.System.Broker.Connection(group.Key).CreateConnectionAsync(cancellationToken);
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            foreach (var (vhost, queue, shape) in group)
            {
                _parkedBefore[(vhost, queue)] = await ParkedAsync(run, vhost, queue);
                for (var i = 0; i < PerQueue; i++)
                {
                    var (body, contentType, _) = Hostile(shape, run.Site, i);
                    var properties = new BasicProperties { ContentType = contentType, MessageId = MessageId(i), Persistent = true };
                    await channel.BasicPublishAsync("", queue, false, properties, body, cancellationToken);
                }
                _sent[(vhost, queue)] = PerQueue;
            }
        }
    }

    public override async Task CheckAsync(ChaosRun run, CancellationToken cancellationToken)
    {
        var parked = new Dictionary<(string VirtualHost, string Queue), long>();
        async Task<bool> AllParkedAsync()
        {
            foreach (var ((vhost, queue), _) in _sent)
            {
                parked[(vhost, queue)] = await ParkedAsync(run, vhost, queue) - _parkedBefore[(vhost, queue)];
            }
            return _sent.All(s => parked[s.Key] >= s.Value);
        }
        // the oracle has waited for the system to settle already: the error queues get a little longer, once for all
        await TimeUntilAsync(AllParkedAsync, TimeSpan.FromSeconds(30), cancellationToken);
        foreach (var ((vhost, queue), sent) in _sent.Where(s => parked[s.Key] < s.Value))
        {
            run.Violation($"{queue}: {parked[(vhost, queue)]} of {sent} hostile messages reached its error queue; missing: {await MissingAsync(run, vhost, queue)}");
        }
    }

    /// <summary>The hostile messages of this run not in the queue's error queues, counted by kind ("forged site 111, ...").</summary>
    private static async Task<string> MissingAsync(ChaosRun run, string vhost, string queue)
    {
        var parked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var parking in new[] { Topology.ErrorQueue(queue), queue + "_skipped" })
        {
            parked.UnionWith(await run.System.Management.MessageIdsAsync(vhost, parking, 10 * PerQueue));
        }
        return string.Join(", ", Enumerable.Range(0, PerQueue).Where(i => !parked.Contains(MessageId(i)))
            .GroupBy(i => Hostile(Shape.ConfigChange, "", i).Kind).Select(g => $"{g.Key} {g.Count()}"));
    }

    private static string MessageId(int i) => $"hostile-{i}";

    private static async Task<long> ParkedAsync(ChaosRun run, string vhost, string queue) =>
        await run.System.Management.MessagesAsync(vhost, Topology.ErrorQueue(queue)) + await run.System.Management.MessagesAsync(vhost, queue + "_skipped");

    /// <summary>The i-th hostile message for a queue of <paramref name="shape"/>: its body, content type and kind.</summary>
    public static (byte[] Body, string ContentType, string Kind) Hostile(Shape shape, string site, int i)
    {
        const string json = "application/json";
        return (i % 9) switch
        {
            0 => (Encoding.UTF8.GetBytes("{\"sequence\": 1, \"table\": "), json, "cut-off JSON"),
            1 => (Encoding.UTF8.GetBytes("""{"sequence":"one","site":42,"rows":"none","table":[],"key":{},"siteSequence":"x"}"""), json, "wrong types"),
            2 when i < 18 => (Valid(shape, site, 1, "agent", new string('x', FiveMegabytes)), json, "5 MB"),
            2 => (Valid(shape, site, -5, "agent"), json, "negative number"),
            3 => (Valid(shape, site, long.MaxValue, "agent"), json, "2^63-1"),
            4 => (Valid(shape, site, 1, "nosuchtable"), json, "unknown table"),
            5 => (Valid(shape, "forged-site", 1, "agent"), json, "forged site"),
            6 => (Valid(shape, site, 1, "agent"), "text/plain", "text/plain"),
            7 => ([0xff, 0xfe, 0x00, 0x01, (byte)i], "application/octet-stream", "bytes"),
            _ => (Encoding.UTF8.GetBytes("[]"), json, "empty array"),
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
