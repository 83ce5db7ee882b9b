using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using static RealTimeDistributor.PipelineBenchmarks.ScaleBenchmark;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 22, the last hop: which fan-out carries one site's stream to its workstations, side by side in one run on a
/// private RabbitMQ node of its own (infra/rabbitmq/node.sh: its broker process, CPU, I/O and memory are the fan-out's
/// alone, and it may be restarted).
/// <list type="bullet">
/// <item><b>queues</b> (today, the baseline): one durable classic queue per workstation with the product's arguments and
/// bindings (<see cref="Topology.Site.ClientQueueArguments"/>, <see cref="Topology.Site.ClientQueueBindings"/> with
/// <c>#</c>), so the broker stores and sends a copy of every message per workstation;</item>
/// <item><b>stream</b>: one stream per site (<c>x-queue-type: stream</c>, retention by age and size) bound to both site
/// exchanges, read over AMQP 0-9-1 by every workstation (prefetch, manual ack, <c>x-stream-offset</c>; a workstation
/// resumes at its last offset + 1).</item>
/// </list>
/// The publisher is the product's <see cref="ConfirmingPublisher"/> sending real <see cref="SiteUpdateJson"/> bytes:
/// real-time batches per table per 1 s interval at the site stream's measured change rate (docs/benchmarks.md, "Only
/// changes on the site stream"), rows shaped by the engine's own columns, a heartbeat round as a full refresh sends, and
/// once per window a burst of every row of the site (what a new replica's first load republishes, and what every full
/// refresh sent before issue 22). Each workstation is a <see cref="LeanWorkstation"/> on a connection of its own that checks every
/// table's chain (<see cref="SiteUpdate.PreviousSiteSequence"/>, a heartbeat's chain head) for gaps and times each
/// message from its <c>publishedAt</c> to its arrival.
/// </summary>
public static class FanoutBenchmark
{
    public enum Shape
    {
        Queues,
        Stream,
    }

    /// <param name="Rates">Agents of the center -> changed rows per second on its site stream.</param>
    /// <param name="RecoveryWorkstations">Workstations of the broker-restart measurement (at the highest rate).</param>
    public sealed record Options(IReadOnlyList<(int Agents, int RowsPerSecond)> Rates, int[] Workstations, TimeSpan Window, int RecoveryWorkstations);

    private const string Site = "fanout";
    private static readonly string StreamName = $"rtd.{Site}.site-stream";
    private static readonly Shape[] Shapes = [Shape.Queues, Shape.Stream];

    public static async Task RunAsync(Report report, Options options)
    {
        await using var node = await FanoutNode.StartAsync();
        foreach (var (agents, rate) in options.Rates)
        {
            foreach (var workstations in options.Workstations)
            {
                foreach (var shape in Shapes)
                {
                    await MeasureAsync(report, node, shape, agents, rate, workstations, options.Window);
                }
            }
        }
        var (lastAgents, lastRate) = options.Rates[^1];
        foreach (var shape in Shapes)
        {
            await RecoverAsync(report, node, shape, lastAgents, lastRate, options.RecoveryWorkstations);
        }
    }

    private static Percentiles PercentilesOf(IEnumerable<double> samples) => samples.Any() ? Percentiles.Of(samples) : new(0, 0, 0, 0, 0);

    private static string Label(Shape shape) => shape == Shape.Queues ? "queue per workstation" : "stream per site";

    private static async Task MeasureAsync(Report report, FanoutNode node, Shape shape, int agents, int rate, int count, TimeSpan window)
    {
        var group = $"fanout: {agents:N0} agents ({rate} changed rows/s), {count} workstation{(count == 1 ? "" : "s")}";
        Console.WriteLine($"fanout: {Label(shape)}, {group[8..]}, {window.TotalSeconds:N0} s");
        await using var topology = await SiteTopology.DeclareAsync(node, shape);
        await using var screens = new LeanWorkstations(node, Workstations(shape));
        await screens.AddAsync(count);
        await using var publisher = new SitePublisher(node, agents, rate);
        await publisher.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // every screen has its first messages
        screens.Begin(DateTimeOffset.UtcNow);
        var broker = node.Usage();
        var self = ProcessUsage.Read(Environment.ProcessId);
        var watch = Stopwatch.StartNew();
        var rowsBefore = publisher.Rows;
        await Task.Delay(window / 2);
        publisher.Burst();
        await Task.Delay(window / 2);
        var last = await publisher.StopAsync();
        var rows = publisher.Rows - rowsBefore;
        var drain = Stopwatch.StartNew();
        await Eventually.Until(() => Task.FromResult(screens.All.Count(s => s.Holds(last))), held => held == count, "every screen holding the last message",
            TimeSpan.FromMinutes(3));
        var drained = drain.Elapsed;
        var (brokerAfter, selfAfter, elapsed) = (node.Usage(), ProcessUsage.Read(Environment.ProcessId), watch.Elapsed);

        var name = Label(shape);
        var baseline = shape == Shape.Queues ? null : Label(Shape.Queues);
        string? Base(string figure) => baseline is null ? null : $"{baseline}: {figure}";
        var samples = screens.End();
        IEnumerable<double> Samples(Sample[] screen, bool burst) => screen.Where(s => publisher.IsBurst(s.SiteSequence) == burst).Select(s => s.Ms);
        var steady = PercentilesOf(samples.SelectMany(s => Samples(s, burst: false)));
        var burst = PercentilesOf(samples.SelectMany(s => Samples(s, burst: true)));
        var worst = samples.Max(s => PercentilesOf(Samples(s, burst: false)).P99);
        Console.WriteLine($"  steady {steady}; worst screen p99 {worst:N0} ms; burst {burst}; drained in {drained.TotalSeconds:N1} s");
        foreach (var (label, value) in new[] { ("p50", steady.P50), ("p99", steady.P99), ("max", steady.Max) })
        {
            report.Add(group, $"{name}: freshness {label}", value, "ms", Base($"freshness {label}"));
        }
        report.Add(group, $"{name}: worst screen p99", worst, "ms", Base("worst screen p99"));
        report.Add(group, $"{name}: burst freshness p99", burst.P99, "ms", Base("burst freshness p99"));
        report.Add(group, $"{name}: burst freshness max", burst.Max, "ms", Base("burst freshness max"));
        report.Add(group, $"{name}: gaps", screens.Gaps, "gaps");
        var (received, sent) = brokerAfter.Since(broker);
        report.Add(group, $"{name}: broker bytes in per changed row", received / (double)rows, "B", Base("broker bytes in per changed row"));
        report.Add(group, $"{name}: broker bytes out per changed row", sent / (double)rows, "B", Base("broker bytes out per changed row"));
        report.Add(group, $"{name}: broker disk writes per changed row", (brokerAfter.DiskWritten - broker.DiskWritten) / (double)rows, "B", Base("broker disk writes per changed row"));
        report.Add(group, $"{name}: broker CPU", (brokerAfter.Cpu.CpuSeconds - broker.Cpu.CpuSeconds) / elapsed.TotalSeconds * 100, "% of a core", Base("broker CPU"));
        report.Add(group, $"{name}: broker memory (RSS)", brokerAfter.Cpu.RssMegabytes, "MB", Base("broker memory (RSS)"));
        report.Add(group, $"{name}: workstations' process CPU", (selfAfter.CpuSeconds - self.CpuSeconds) / elapsed.TotalSeconds * 100, "% of a core", Base("workstations' process CPU"));
        report.Add(group, $"{name}: changed rows published", rows, "rows");
        report.Add(group, $"{name}: drained after the window", drained.TotalMilliseconds, "ms");
    }

    /// <summary>
    /// Restarts the private broker (graceful stop, start) under a running publisher and <paramref name="count"/> connected
    /// workstations, which reconnect with jittered backoff: the time until every one has a message published after the
    /// broker was back, how many found a gap (would reload a snapshot), and the reconnect attempts.
    /// </summary>
    private static async Task RecoverAsync(Report report, FanoutNode node, Shape shape, int agents, int rate, int count)
    {
        var group = $"fanout: recovery after a broker restart, {agents:N0} agents, {count} workstations";
        var name = Label(shape);
        string? Base(string figure) => shape == Shape.Queues ? null : $"{Label(Shape.Queues)}: {figure}";
        Console.WriteLine($"fanout: {name}, broker restart with {count} workstations");
        await using var topology = await SiteTopology.DeclareAsync(node, shape);
        await using var screens = new LeanWorkstations(node, Workstations(shape));
        await screens.AddAsync(count);
        await using var publisher = new SitePublisher(node, agents, rate);
        await publisher.StartAsync();
        await Task.Delay(TimeSpan.FromSeconds(3));
        var down = Stopwatch.StartNew();
        await node.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the workstations try while it is down, as they would
        await node.StartAgainAsync();
        var up = DateTimeOffset.UtcNow;
        var restart = down.Elapsed;
        screens.AwaitFresh(m => m.PublishedAt >= up);
        await Eventually.Until(() => Task.FromResult(screens.FreshCount), fresh => fresh == count, "every workstation fresh after the restart", TimeSpan.FromMinutes(2));
        var fresh = screens.FreshSeconds(up).Select(s => s * 1000).ToArray();
        var attempts = screens.AttemptsSince(up);
        var peak = attempts.GroupBy(Math.Floor).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var gaps = screens.All.Count(s => s.Gaps > 0);
        Console.WriteLine($"  broker down and up in {restart.TotalSeconds:N1} s; all fresh {fresh.Max():N0} ms after; {gaps} gaps");
        report.Add(group, $"{name}: broker stop + start", restart.TotalMilliseconds, "ms");
        report.Add(group, $"{name}: all workstations fresh, after the broker is up", fresh.Max(), "ms", Base("all workstations fresh, after the broker is up"));
        report.Add(group, $"{name}: median workstation fresh, after the broker is up", PercentilesOf(fresh).P50, "ms", Base("median workstation fresh, after the broker is up"));
        report.Add(group, $"{name}: workstations that found a gap (reload a snapshot)", gaps, "workstations");
        report.Add(group, $"{name}: workstations that resumed at their offset", screens.All.Count(s => s.Resumed), "workstations");
        report.Add(group, $"{name}: reconnect attempts after the broker is up", attempts.Count, "attempts");
        report.Add(group, $"{name}: peak reconnect attempts in one second", peak, "attempts");
    }

    /// <summary>Each workstation of the shape: a queue of its own on the site's exchanges, or a consumer of the site's stream; each message timed from its publishedAt.</summary>
    private static LeanWorkstationOptions Workstations(Shape shape) => new(Site, "/", "fanout", shape == Shape.Stream ? StreamName : null, TimeRows: false);

    /// <summary>The private broker node of the run; its beam.smp's CPU, memory and I/O from /proc.</summary>
    internal sealed class FanoutNode : IAsyncDisposable
    {
        private string Name { get; }

        private FanoutNode(string name, int port) => (Name, Port) = (name, port);

        public int Port { get; }

        /// <param name="name">The node's name (node.sh), its own data folder: "rtd-fanout", or another benchmark's.</param>
        public static async Task<FanoutNode> StartAsync(string name = "rtd-fanout")
        {
            var port = Enumerable.Range(5800, 100).First(p => Free(p) && Free(p + 10000) && Free(p + 20000));
            var node = new FanoutNode(name, port);
            await node.StartAgainAsync();
            return node;
        }

        public ConnectionFactory Factory(string name) => new()
        {
            HostName = "127.0.0.1",
            Port = Port,
            UserName = "guest",
            Password = "guest",
            ClientProvidedName = name,
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };

        public RabbitMqSettings Settings => new("127.0.0.1", Port, "guest", "guest", false, TimeSpan.FromSeconds(5), "/");

        public Task StartAgainAsync() => Repository.ScriptAsync("infra/rabbitmq/node.sh", "start", Name, Port.ToString(CultureInfo.InvariantCulture));

        public Task StopAsync() => Repository.ScriptAsync("infra/rabbitmq/node.sh", "stop", Name);

        public async ValueTask DisposeAsync() => await Repository.ScriptAsync("infra/rabbitmq/node.sh", "reset", Name);

        /// <summary>
        /// The node's CPU, memory and bytes written to disk (/proc), and the bytes its AMQP sockets have received and sent
        /// (the kernel's counters, <c>ss -ti</c>: every frame, headers included), by peer.
        /// </summary>
        public BrokerUsage Usage()
        {
            // node.sh's pid file: the node's name is not on beam.smp's command line (node.sh passes it in the environment)
            var folder = Environment.GetEnvironmentVariable("RTD_RABBITMQ_NODES") is { Length: > 0 } nodes ? nodes : "/var/lib/rabbitmq/rtd-nodes";
            var pid = int.Parse(File.ReadAllText(Path.Combine(folder, Name, "pid")).Trim(), CultureInfo.InvariantCulture);
            var io = File.ReadLines($"/proc/{pid}/io").Select(l => l.Split(':', 2)).ToDictionary(f => f[0], f => long.Parse(f[1].Trim(), CultureInfo.InvariantCulture));
            return new(ProcessUsage.Read(pid), io["write_bytes"], Sockets());
        }

        private Dictionary<string, (long Received, long Sent)> Sockets()
        {
            using var ss = Process.Start(new ProcessStartInfo("ss", ["-tinH", "state", "established", "( sport = :" + Port.ToString(CultureInfo.InvariantCulture) + " )"])
            {
                RedirectStandardOutput = true,
            })!;
            var lines = ss.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            ss.WaitForExit();
            var sockets = new Dictionary<string, (long, long)>();
            for (var i = 0; i + 1 < lines.Length; i += 2)
            {
                long Counter(string name) => Regex.Match(lines[i + 1], $@"\b{name}:(\d+)") is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
                sockets[lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]] = (Counter("bytes_received"), Counter("bytes_acked"));
            }
            return sockets;
        }

        private static bool Free(int port)
        {
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }

    internal readonly record struct BrokerUsage(ProcessUsage Cpu, long DiskWritten, Dictionary<string, (long Received, long Sent)> Sockets)
    {
        /// <summary>Bytes the broker's sockets received and sent since <paramref name="before"/> (a socket new since then counts from 0).</summary>
        public (long Received, long Sent) Since(BrokerUsage before) =>
            Sockets.Aggregate((0L, 0L), (sum, socket) => before.Sockets.TryGetValue(socket.Key, out var was)
                ? (sum.Item1 + socket.Value.Received - was.Received, sum.Item2 + socket.Value.Sent - was.Sent)
                : (sum.Item1 + socket.Value.Received, sum.Item2 + socket.Value.Sent));
    }

    /// <summary>The site exchanges, and for the stream shape the site's stream bound to both; deleted at the end.</summary>
    private sealed class SiteTopology(FanoutNode node, Shape shape) : IAsyncDisposable
    {
        public static async Task<SiteTopology> DeclareAsync(FanoutNode node, Shape shape)
        {
            await using var connection = await node.Factory("rtd bench fanout topology").CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            foreach (var exchange in Topology.Site.DeclaredExchanges(Site))
            {
                await channel.ExchangeDeclareAsync(exchange.Name, exchange.Type, durable: true, autoDelete: false);
            }
            if (shape == Shape.Stream)
            {
                await channel.QueueDeclareAsync(StreamName, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
                {
                    ["x-queue-type"] = "stream",
                    ["x-max-age"] = "1h",
                    ["x-max-length-bytes"] = 1_000_000_000L,
                    ["x-stream-max-segment-size-bytes"] = 50_000_000,
                });
                foreach (var exchange in Topology.Site.Exchanges(Site))
                {
                    await channel.QueueBindAsync(StreamName, exchange, Topology.AllKeys);
                }
            }
            return new SiteTopology(node, shape);
        }

        public async ValueTask DisposeAsync()
        {
            if (shape == Shape.Stream)
            {
                // a connection of its own: the broker may have restarted since the declare
                await using var connection = await node.Factory("rtd bench fanout topology").CreateConnectionAsync();
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(StreamName);
            }
        }
    }

    /// <summary>
    /// A site's distributor as the workstations see it: every interval (1 s) a batch per table of the changed rows, at a
    /// rate about <c>rowsPerSecond</c> (0.5-1.5 x per interval, split 70/20/8/2 % over agents, skill groups, call types,
    /// services); every 30 intervals a heartbeat per table; on <see cref="Burst"/> every row of the site, 1,000 rows to a
    /// message. Published in order with confirms, a failed batch sent again (same site sequences) until the broker takes it.
    /// </summary>
    private sealed class SitePublisher(FanoutNode node, int agents, int rowsPerSecond) : IAsyncDisposable
    {
        private static readonly (string Table, double Share)[] Split =
            [(RealTimeTables.Agent, 0.70), (RealTimeTables.SkillGroup, 0.20), (RealTimeTables.CallType, 0.08), (RealTimeTables.Service, 0.02)];
        private readonly ConfirmingPublisher _publisher = new(node.Settings, "/", "rtd bench fanout distributor", Topology.Site.Exchanges(Site),
            NullLogger.Instance);
        private readonly Dictionary<string, long> _chain = [];
        private readonly List<(long First, long Last)> _bursts = [];
        private readonly Random _random = new(22);
        private readonly Guid _stream = Guid.NewGuid();
        private readonly CancellationTokenSource _stop = new();
        private long _sequence;
        private long _version = DateTimeOffset.UtcNow.UtcTicks;
        private long _rows;
        private int _burst;
        private Task? _loop;

        public long Rows => Interlocked.Read(ref _rows);

        public Task StartAsync()
        {
            _loop = Task.Run(LoopAsync);
            return Task.CompletedTask;
        }

        public void Burst() => Interlocked.Exchange(ref _burst, 1);

        public bool IsBurst(long sequence)
        {
            lock (_bursts)
            {
                return _bursts.Any(b => sequence >= b.First && sequence <= b.Last);
            }
        }

        /// <summary>Stops after the interval in progress; returns the last site sequence published.</summary>
        public async Task<long> StopAsync()
        {
            await _stop.CancelAsync();
            await _loop!;
            return _sequence;
        }

        private async Task LoopAsync()
        {
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            var interval = 0;
            while (!_stop.IsCancellationRequested)
            {
                interval++;
                var updates = new List<SiteUpdate>();
                foreach (var (table, share) in Split)
                {
                    var count = (int)Math.Round(rowsPerSecond * share * (0.5 + _random.NextDouble()));
                    updates.AddRange(Batches(table, Enumerable.Range(0, count).Select(_ => _random.Next(1, Keys(table) + 1)).Distinct()));
                }
                if (interval % 30 == 5)
                {
                    var now = DateTimeOffset.UtcNow;
                    updates.AddRange(Split.Select(s => new HeartbeatUpdate(Site, s.Table, _chain.GetValueOrDefault(s.Table), Keys(s.Table), now)
                    {
                        Epoch = 1,
                        StreamId = _stream,
                    }));
                }
                if (Interlocked.Exchange(ref _burst, 0) == 1)
                {
                    var first = _sequence + 1;
                    foreach (var (table, _) in Split)
                    {
                        updates.AddRange(Batches(table, Enumerable.Range(1, Keys(table))));
                    }
                    lock (_bursts)
                    {
                        _bursts.Add((first, _sequence));
                    }
                }
                await PublishAsync(updates);
                try
                {
                    await timer.WaitForNextTickAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        private int Keys(string table) => table switch
        {
            RealTimeTables.Agent => agents,
            RealTimeTables.SkillGroup => agents / 20,
            RealTimeTables.CallType => agents / 40,
            _ => 10,
        };

        /// <summary>The rows as site messages of up to 1,000 rows, each with its site sequences and its table's chain link.</summary>
        private IEnumerable<SiteUpdate> Batches(string table, IEnumerable<int> keys)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var chunk in keys.Chunk(Topology.Site.RealTimeRowsPerMessage))
            {
                var rows = chunk.Select(k => new RealTimeRow(k.ToString(CultureInfo.InvariantCulture), ++_version, now, RowData.Of(table, k))).ToList();
                var first = _sequence + 1;
                _sequence += rows.Count;
                Interlocked.Add(ref _rows, rows.Count);
                yield return new RealTimeUpdate(Site, _sequence, table, rows, now)
                {
                    FirstSiteSequence = first,
                    PreviousSiteSequence = _chain.GetValueOrDefault(table),
                    Epoch = 1,
                    StreamId = _stream,
                };
                _chain[table] = _sequence;
            }
        }

        private async Task PublishAsync(List<SiteUpdate> updates)
        {
            if (updates.Count == 0)
            {
                return;
            }
            // publishedAt is the moment of sending, as the distributor's: each screen's freshness is measured from it
            var now = DateTimeOffset.UtcNow;
            var messages = updates.Select(u => new OutgoingMessage(Topology.Site.RealTimeExchange(Site), u.Table, Json.Serialize(u with { PublishedAt = now }),
                $"{Site}-{u.SiteSequence}-{u.Table}")).ToList();
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await _publisher.PublishAsync(messages, CancellationToken.None);
                    return;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // the broker restarts: the same messages again, as SiteStream retries
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 * attempt) * (0.5 + Random.Shared.NextDouble())));
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }
            await _publisher.DisposeAsync();
            _stop.Dispose();
        }
    }

    /// <summary>Row values as the statistics engine writes them (its own column types), a few variants per table.</summary>
    private static class RowData
    {
        private static readonly DateTimeOffset Since = DateTimeOffset.UtcNow.AddMinutes(-3);
        private static readonly Tally Calls = new()
        {
            Offered = 42,
            Answered = 37,
            Handled = 35,
            Abandoned = 3,
            ShortAbandoned = 1,
            ServiceLevelOffered = 41,
            AnsweredInServiceLevel = 31,
            AbandonedInServiceLevel = 1,
            AnswerWaitSeconds = 412.5,
            HandleSeconds = 7_310,
        };
        private static readonly Dictionary<string, JsonElement[]> Variants = new()
        {
            [RealTimeTables.Agent] = [.. new[] { "Ready", "Talking", "NotReady", "WrapUp" }.Select((state, i) => Element(new AgentColumns(state, i * 7, Since, 12)))],
            [RealTimeTables.SkillGroup] = [.. Enumerable.Range(0, 4).Select(i =>
                Element(new SkillGroupColumns(new AgentCounts(20, 5 + i, 10, 2, 3 - i % 2), new CallColumns(i, Since, Calls, Calls, Calls, LongestAvailableSince: Since))))],
            [RealTimeTables.CallType] = [.. Enumerable.Range(0, 4).Select(i =>
                Element(new CallColumns(i, Since, Calls, Calls, Calls, LongestAvailableSince: CallColumns.NoAgents)))],
            [RealTimeTables.Service] = [.. Enumerable.Range(0, 4).Select(i => Element(new ServiceColumns(new CallColumns(i, Since, Calls, Calls, Calls, LongestAvailableSince: Since))))],
        };

        public static JsonElement Of(string table, int key) => Variants[table][(key + Environment.TickCount) & 3];

        private static JsonElement Element(IRealTimeColumns columns)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                columns.WriteTo(writer);
                writer.WriteEndObject();
            }
            return JsonDocument.Parse(buffer.ToArray()).RootElement.Clone();
        }
    }
}
