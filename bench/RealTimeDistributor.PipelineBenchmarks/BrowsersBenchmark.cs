using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using static RealTimeDistributor.PipelineBenchmarks.ScaleBenchmark;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 22's browsers: a live center of N agents (as <see cref="ScaleBenchmark"/>: central controller simulating calls and
/// the site's distributor as processes of their own) and P real client processes of the site (each on a port of its own,
/// Client:Wallboard defaults: a frame every 250 ms, a bounded buffer per connection, at most 1,000 connections). Each step
/// opens B browser connections (GET /events) spread evenly over its processes; 10 % of them stall: they connect with a 4 KB
/// TCP receive buffer and never read a byte of the body. The readers read every event as EventSource does (reconnecting
/// with Last-Event-ID when a stream ends, again after 1 s on a 503). Freshness of a row = its arrival in a "frame" at the
/// reader minus its central interval time (<c>updatedAt</c>), this machine's clock, each value (version) once per reader.
/// A reader "fell behind" when it got a reset after its first. Per step: freshness pooled over the readers and the worst
/// reader's p99, the readers that fell behind, 503s, reconnects, each client process's RSS before the browsers connect,
/// once every browser is connected (the readers have read their whole first reset), at the end and at its peak (sampled every second),
/// its CPU over the window, and whether it is still alive. Each step runs twice: every browser on the whole site
/// (GET /events, as before scopes), then a scope mix as TVs and desks are (GET /events?team= and ?group=, the page's own
/// scope): of every ten browsers one reads the whole site (every other one of those a kiosk, <c>?tiles=1</c>), five a team (one of the center's first 40 teams of 15
/// agents; the stalled browser is one of them) and four a skill group (one of the first 40); per mix the bytes of the
/// first reset each reader got, by scope.
/// </summary>
public static class BrowsersBenchmark
{
    private const string Group = "fanout-browsers: GET /events at many browsers, 10 % stalled";

    /// <param name="Steps">Browser connections of each step and the client processes they are spread over.</param>
    /// <param name="SnapshotRequests">Then this many workstations ask the distributor for a snapshot at once (0: skip).</param>
    public sealed record Options(int Agents, int CallsPerSecond, (int Browsers, int Processes)[] Steps, TimeSpan Window, int FullRefreshEvery,
        int SnapshotRequests)
    {
        /// <summary>Only the scope mix of each step (not every browser on the whole site first).</summary>
        public bool ScopeMixOnly { get; init; }
    }

    /// <summary>
    /// The benchmark's options: <c>--quick</c> or the full run; with <c>RTD_BENCH_BROWSERS_AGENTS=24000</c> instead the
    /// 2,000-browser step alone (three client processes, scope mix only, no snapshot requests) at that many agents and
    /// calls at the full run's rate per agent (40 calls/s per 12,000 agents).
    /// </summary>
    public static Options OptionsOf(bool quick)
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("RTD_BENCH_BROWSERS_AGENTS"), out var agents) && agents > 0)
        {
            return new(agents, Math.Max(1, agents / 300), [(2_000, 3)], TimeSpan.FromSeconds(quick ? 15 : 45), 30, 0) { ScopeMixOnly = true };
        }
        return quick
            ? new(2_400, 20, [(100, 1), (500, 2)], TimeSpan.FromSeconds(15), 15, 200)
            : new(12_000, 40, [(100, 1), (500, 1), (2_000, 3)], TimeSpan.FromSeconds(45), 30, 200);
    }

    public static async Task RunAsync(Report report, Options options)
    {
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("browsers");
        var (distributor, central) = await StartCenterAndSiteAsync(system, site, options.Agents, options.CallsPerSecond, options.FullRefreshEvery, teamSize: TeamSize);
        var clients = new List<(Process Process, int Port)>();
        for (var i = 0; i < options.Steps.Max(s => s.Processes); i++)
        {
            var port = FreePort();
            clients.Add((system.StartProcess("RealTimeDistributor.Client", new()
            {
                ["Client__Site"] = site,
                ["Client__Workstation"] = $"wallboard-{i}",
                ["Urls"] = $"http://127.0.0.1:{port}",
                ["Serilog__MinimumLevel__Default"] = "Error",
            }), port));
        }
        using var readerHttp = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = Timeout.InfiniteTimeSpan };
        using var stalledHttp = new HttpClient(new SocketsHttpHandler { ConnectCallback = WallboardHost.SmallReceiveBufferAsync }) { Timeout = Timeout.InfiniteTimeSpan };
        foreach (var (_, port) in clients)
        {
            await WaitSnapshotAsync(readerHttp, port);
        }
        Console.WriteLine($"fanout-browsers: {clients.Count} client processes hold the site's view; central {central.Id}, distributor {distributor.Id}");

        foreach (var (browsers, processes) in options.Steps)
        {
            foreach (var scoped in options.ScopeMixOnly ? new[] { true } : new[] { false, true })
            {
                await StepAsync(report, options, clients.Take(processes).ToList(), browsers, scoped, readerHttp, stalledHttp);
            }
        }
        if (options.SnapshotRequests > 0)
        {
            await SnapshotRequestsAsync(report, site, $"{options.Agents:N0} agents, {options.SnapshotRequests} workstations", options.SnapshotRequests, distributor);
        }
    }

    /// <summary>
    /// <paramref name="count"/> workstations ask for the whole site's snapshot (bindings <c>#</c>) at once, as after a broker
    /// restart: each declares its snapshot queue, then every request is published (plain JSON, docs/wire-format.md "Site
    /// snapshot", user_id set) and each snapshot is complete when its chunks up to the last have come. The distributor
    /// answers the requests waiting together with one read; a request still queued after 60 s expires (the queue's TTL) and is never answered.
    /// </summary>
    internal static async Task SnapshotRequestsAsync(Report report, string site, string name, int count, Process distributor)
    {
        Console.WriteLine($"fanout-browsers: {count} snapshot requests at once");
        var factory = TestSettings.RabbitConnection(Topology.Site.VirtualHost(site));
        await using var connection = await factory.CreateConnectionAsync("rtd bench snapshot requests");
        var done = Enumerable.Range(0, count).Select(_ => new TaskCompletionSource<(double Seconds, long Rows)>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var ids = Enumerable.Range(0, count).Select(_ => Guid.NewGuid()).ToArray();
        var sent = new long[count];
        var channels = new List<IChannel>();
        for (var i = 0; i < count; i++)
        {
            var channel = await connection.CreateChannelAsync();
            channels.Add(channel);
            var queue = Topology.Site.ClientSnapshotQueue(site, $"bench-snapshot-{i:000}");
            await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true);
            var (request, chunks) = (i, 0);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                using var chunk = JsonDocument.Parse(delivery.Body);
                var root = chunk.RootElement;
                if (root.GetProperty("snapshotId").GetGuid() == ids[request] && ++chunks == root.GetProperty("index").GetInt32() + 1 && root.GetProperty("last").GetBoolean())
                {
                    done[request].TrySetResult((Stopwatch.GetElapsedTime(Interlocked.Read(ref sent[request])).TotalSeconds, root.GetProperty("totalRows").GetInt64()));
                }
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
        }
        var before = ProcessUsage.Read(distributor.Id);
        var all = Stopwatch.StartNew();
        await using (var publishing = await connection.CreateChannelAsync())
        {
            var properties = new BasicProperties { ContentType = "application/json", UserId = TestSettings.RabbitUser };
            for (var i = 0; i < count; i++)
            {
                var workstation = $"bench-snapshot-{i:000}";
                var body = JsonSerializer.SerializeToUtf8Bytes(new
                {
                    site,
                    workstation,
                    snapshotId = ids[i],
                    replyTo = Topology.Site.ClientSnapshotQueue(site, workstation),
                    bindings = new[] { "#" },
                    requestedAt = DateTimeOffset.UtcNow,
                });
                Interlocked.Exchange(ref sent[i], Stopwatch.GetTimestamp());
                await publishing.BasicPublishAsync(Topology.Site.SnapshotRequestExchange(site), "snapshot", false, properties, body);
            }
        }
        // a request is answered within its queue's 60 s TTL or never: wait somewhat longer than that past the last
        var waiting = Task.WhenAll(done.Select(d => d.Task));
        await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(90) + TimeSpan.FromSeconds(count * 1.0)));
        var elapsed = all.Elapsed;
        var after = ProcessUsage.Read(distributor.Id);
        var answered = done.Where(d => d.Task.IsCompletedSuccessfully).Select(d => d.Task.Result).ToList();
        var times = Percentiles.Of(answered.Select(a => a.Seconds * 1000).DefaultIfEmpty(double.NaN));
        var lastAnswer = answered.Select(a => a.Seconds).DefaultIfEmpty(double.NaN).Max();
        Console.WriteLine($"  answered {answered.Count} of {count}; all within {lastAnswer:N1} s; per request {times}; rows per snapshot {answered.Select(a => a.Rows).DefaultIfEmpty(0).Max():N0}");
        var group = "fanout-browsers: snapshot requests of many workstations at once";
        report.Add(group, $"{name}: answered", answered.Count, "requests");
        report.Add(group, $"{name}: not answered (expired or refused)", count - answered.Count, "requests");
        report.Add(group, $"{name}: until the last complete snapshot", lastAnswer, "s");
        foreach (var (label, value) in times.Named())
        {
            report.Add(group, $"{name}: request to complete snapshot {label}", value, "ms");
        }
        report.Add(group, $"{name}: rows per snapshot", answered.Select(a => a.Rows).DefaultIfEmpty(0).Max(), "rows");
        report.Add(group, $"{name}: distributor CPU while serving", (after.CpuSeconds - before.CpuSeconds) / elapsed.TotalSeconds * 100, "% of a core");
        report.Add(group, $"{name}: distributor RSS at the end", after.RssMegabytes, "MB");
        foreach (var channel in channels)
        {
            await channel.DisposeAsync();
        }
    }

    /// <summary>Agents per team of the center (its first 40 teams are the scope mix's).</summary>
    internal const int TeamSize = 15;

    /// <summary>
    /// Browser i's scope in the mix: of every ten, the first the whole site (every other one of those a kiosk, a TV that
    /// draws the tiles only: <c>?tiles=1</c>, what the page asks for at <c>/?kiosk=1</c>), the odd ones (the stalled,
    /// i % 10 == 9, among them) a team, the others a skill group; 40 teams and 40 groups in turn.
    /// </summary>
    internal static (string Kind, string Query) ScopeOf(int i) => (i % 10) switch
    {
        0 when i / 10 % 2 == 1 => ("kiosk", "?tiles=1"),
        0 => ("whole site", ""),
        var k when k % 2 == 1 => ("team", $"?team=Team%20{1 + (i / 10 % 40)}"),
        _ => ("skill group", $"?group={1 + (i / 10 % 40)}"),
    };

    private static async Task StepAsync(Report report, Options options, List<(Process Process, int Port)> clients, int browsers, bool scoped,
        HttpClient readerHttp, HttpClient stalledHttp)
    {
        var name = $"{options.Agents:N0} agents, {browsers:N0} browsers over {clients.Count} client process{(clients.Count == 1 ? "" : "es")}, " +
            (scoped ? "scope mix" : "all whole site");
        Console.WriteLine($"fanout-browsers: {name}, {options.Window.TotalSeconds:N0} s");
        var before = clients.Select(c => ProcessUsage.Read(c.Process.Id)).ToList();
        var stalledCount = browsers / 10;
        using var stop = new CancellationTokenSource();
        // every tenth browser stalls; browser i reads from client i % P, so the stalled are spread too
        var all = Enumerable.Range(0, browsers).Select(i => new Browser(i % 10 == 9 ? stalledHttp : readerHttp,
            new Uri($"http://127.0.0.1:{clients[i % clients.Count].Port}/events{(scoped ? ScopeOf(i).Query : "")}"), stalls: i % 10 == 9,
            scoped ? ScopeOf(i).Kind : "whole site")).ToList();
        var readers = all.Where(b => !b.Stalls).ToList();
        var connecting = Stopwatch.StartNew();
        var running = all.Select(b => b.RunAsync(stop.Token)).ToList();
        var connected = await Task.WhenAll(all.Select(b => b.Connected.Task)).WaitAsync(TimeSpan.FromMinutes(3)).ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        var connectSeconds = connecting.Elapsed.TotalSeconds;
        var afterConnect = clients.Select(c => ProcessUsage.Read(c.Process.Id)).ToList();
        Console.WriteLine($"  {(connected ? "all" : "NOT all")} {browsers} connected (readers hold their whole first reset) in {connectSeconds:N1} s; client RSS " +
            string.Join(", ", afterConnect.Select(u => $"{u.RssMegabytes:N0} MB")));

        var from = DateTimeOffset.UtcNow;
        foreach (var reader in readers)
        {
            reader.Begin(from);
        }
        var self = ProcessUsage.Read(Environment.ProcessId);
        var rowsBefore = Browser.RowsRead;
        var peak = afterConnect.Select(u => u.RssMegabytes).ToArray();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < options.Window)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            for (var i = 0; i < clients.Count; i++)
            {
                peak[i] = Math.Max(peak[i], ProcessUsage.Read(clients[i].Process.Id).RssMegabytes);
            }
        }
        var window = watch.Elapsed;
        var end = clients.Select(c => ProcessUsage.Read(c.Process.Id)).ToList();
        var selfEnd = ProcessUsage.Read(Environment.ProcessId);
        var rowsRead = Browser.RowsRead - rowsBefore;
        var samples = readers.Select(r => r.End()).ToList();
        await stop.CancelAsync();
        await Task.WhenAll(running);

        var pooled = Percentiles.Of(samples.SelectMany(s => s).DefaultIfEmpty(double.NaN));
        var worst = samples.Where(s => s.Length > 0).Select(s => Percentiles.Of(s).P99).DefaultIfEmpty(double.NaN).Max();
        var silent = samples.Count(s => s.Length == 0);
        var fellBehind = readers.Count(r => r.Resets > 1);
        Console.WriteLine($"  readers {pooled}; worst reader p99 {worst:N0} ms; {silent} readers without a row; {fellBehind} fell behind; " +
            $"503s {all.Sum(b => b.Refused)}; reconnects {all.Sum(b => b.Drops)}");
        report.Add(Group, $"{name}: browsers connected (readers hold their whole first reset)", connected ? 1 : 0, "yes=1");
        report.Add(Group, $"{name}: time until every browser connected", connectSeconds, "s");
        foreach (var (label, value) in pooled.Named())
        {
            report.Add(Group, $"{name}: {readers.Count} readers' freshness {label}", value, "ms");
        }
        report.Add(Group, $"{name}: worst reader's p99", worst, "ms");
        report.Add(Group, $"{name}: rows per reader", pooled.Samples / (double)readers.Count / window.TotalSeconds, "rows/s");
        report.Add(Group, $"{name}: readers without a row in the window", silent, "readers");
        report.Add(Group, $"{name}: readers that fell behind (a reset after the first)", fellBehind, "readers");
        report.Add(Group, $"{name}: resets after the first, all readers", readers.Sum(r => Math.Max(0, r.Resets - 1)), "resets");
        report.Add(Group, $"{name}: 503s (readers and {stalledCount} stalled)", all.Sum(b => b.Refused), "responses");
        report.Add(Group, $"{name}: streams ended by the client (reconnects)", all.Sum(b => b.Drops), "streams");
        foreach (var scope in readers.Where(r => r.FirstResetBytes > 0).GroupBy(r => r.Scope))
        {
            report.Add(Group, $"{name}: first reset per reader of a {scope.Key}, mean", scope.Average(r => r.FirstResetBytes) / 1024.0, "KB");
            report.Add(Group, $"{name}: first reset per reader of a {scope.Key}, max", scope.Max(r => r.FirstResetBytes) / 1024.0, "KB");
            Console.WriteLine($"  first reset of a {scope.Key}: mean {scope.Average(r => r.FirstResetBytes) / 1024.0:N0} KB, max {scope.Max(r => r.FirstResetBytes) / 1024.0:N0} KB ({scope.Count()} readers)");
        }
        report.Add(Group, $"{name}: first resets of all readers", readers.Sum(r => r.FirstResetBytes) / 1024.0 / 1024.0, "MB");
        for (var i = 0; i < clients.Count; i++)
        {
            var process = $"client process {i + 1}";
            report.Add(Group, $"{name}: {process} RSS before the browsers", before[i].RssMegabytes, "MB");
            report.Add(Group, $"{name}: {process} RSS with every browser connected", afterConnect[i].RssMegabytes, "MB");
            report.Add(Group, $"{name}: {process} RSS at the end", end[i].RssMegabytes, "MB");
            report.Add(Group, $"{name}: {process} RSS peak in the window", peak[i], "MB");
            report.Add(Group, $"{name}: {process} CPU in the window", (end[i].CpuSeconds - afterConnect[i].CpuSeconds) / window.TotalSeconds * 100, "% of a core");
            report.Add(Group, $"{name}: {process} alive at the end", clients[i].Process.HasExited ? 0 : 1, "yes=1");
            Console.WriteLine($"  {process}: RSS {before[i].RssMegabytes:N0} -> {afterConnect[i].RssMegabytes:N0} -> {end[i].RssMegabytes:N0} MB (peak {peak[i]:N0}), " +
                $"CPU {(end[i].CpuSeconds - afterConnect[i].CpuSeconds) / window.TotalSeconds * 100:N0} %{(clients[i].Process.HasExited ? ", EXITED" : "")}");
        }
        report.Add(Group, $"{name}: benchmark process (the browsers) CPU", (selfEnd.CpuSeconds - self.CpuSeconds) / window.TotalSeconds * 100, "% of a core");
        // the harness's own cost: the benchmark process's CPU over the window per row its readers read (sockets, events, parsing)
        report.Add(Group, $"{name}: benchmark process CPU per row read", (selfEnd.CpuSeconds - self.CpuSeconds) / Math.Max(1, rowsRead) * 1e6, "µs");
        Console.WriteLine($"  benchmark process: CPU {(selfEnd.CpuSeconds - self.CpuSeconds) / window.TotalSeconds * 100:N0} % of a core, {rowsRead:N0} rows read, " +
            $"{(selfEnd.CpuSeconds - self.CpuSeconds) / Math.Max(1, rowsRead) * 1e6:N2} µs per row");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    internal static async Task WaitSnapshotAsync(HttpClient http, int port)
    {
        var waiting = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var stats = await http.GetStringAsync($"http://127.0.0.1:{port}/stats");
                if (!stats.Contains("\"snapshots\":0", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            if (waiting.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException($"the client process on port {port} loaded no snapshot in 3 minutes");
            }
            await Task.Delay(500);
        }
    }

    /// <summary>
    /// An EventSource: reads events line by line from the raw bytes; a "reset" or "status" body is skipped as it arrives
    /// (never held: a reset of the whole view is megabytes), a "frame" body is parsed for its rows' versions and times.
    /// A stalled one gets its response headers and never reads the body.
    /// </summary>
    internal sealed class Browser(HttpClient http, Uri events, bool stalls, string scope)
    {
        private long _resetBytes = -1; // of the first reset, while it is read
        private readonly List<double> _samples = [];
        private readonly HashSet<long> _seen = [];
        private long _from = long.MaxValue;
        private string? _lastId;

        public bool Stalls => stalls;

        /// <summary>What it reads: "whole site", "kiosk", "team" or "skill group".</summary>
        public string Scope => scope;

        /// <summary>The bytes of the first reset's data line (0 until it has been read).</summary>
        public long FirstResetBytes { get; private set; }

        public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Resets { get; private set; }

        public int Refused { get; private set; }

        public int Drops { get; private set; }

        public void Begin(DateTimeOffset from) => Interlocked.Exchange(ref _from, from.UtcTicks);

        public double[] End()
        {
            Interlocked.Exchange(ref _from, long.MaxValue);
            lock (_samples)
            {
                return [.. _samples];
            }
        }

        public async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await ReadAsync(ct);
                    Drops++;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    Drops++;
                }
                try
                {
                    await Task.Delay(1000, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private async Task ReadAsync(CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, events);
            if (_lastId is not null)
            {
                request.Headers.Add("Last-Event-ID", _lastId);
            }
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Refused++;
                return;
            }
            response.EnsureSuccessStatusCode();
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            if (stalls)
            {
                Connected.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return;
            }
            var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 65_536));
            var name = Event.None;
            var skipping = false;
            while (true)
            {
                var read = await pipe.ReadAsync(ct);
                var buffer = read.Buffer;
                while (true)
                {
                    if (skipping)
                    {
                        // the body of an event not timed: drop it as it comes, up to its line's end
                        if (buffer.PositionOf((byte)'\n') is { } skipEnd)
                        {
                            CountReset(buffer.Slice(0, skipEnd).Length, done: true);
                            buffer = buffer.Slice(buffer.GetPosition(1, skipEnd));
                            skipping = false;
                            continue;
                        }
                        CountReset(buffer.Length, done: false);
                        buffer = buffer.Slice(buffer.End);
                        break;
                    }
                    if (buffer.PositionOf((byte)'\n') is not { } end)
                    {
                        break;
                    }
                    var line = buffer.Slice(0, end);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                    if (line.Length == 0)
                    {
                        if (name == Event.Reset)
                        {
                            Connected.TrySetResult(); // the whole reset has been read, not only its first bytes
                        }
                        name = Event.None;
                    }
                    else if (Starts(line, "data: "u8))
                    {
                        if (name == Event.Frame)
                        {
                            Frame(line.Slice(6));
                        }
                    }
                    else if (Starts(line, "event: "u8))
                    {
                        var value = line.Slice(7);
                        name = Starts(value, "frame"u8) && value.Length == 5 ? Event.Frame : Starts(value, "reset"u8) && value.Length == 5 ? Event.Reset : Event.Other;
                        if (name == Event.Reset)
                        {
                            Resets++;
                            _resetBytes = FirstResetBytes == 0 ? 0 : -1;
                        }
                        if (name != Event.Frame)
                        {
                            var before = buffer.Length;
                            skipping = TrySkipData(ref buffer);
                            CountReset(before - buffer.Length, done: !skipping);
                        }
                    }
                    else if (Starts(line, "id: "u8))
                    {
                        _lastId = Encoding.UTF8.GetString(line.Slice(4));
                    }
                }
                pipe.AdvanceTo(buffer.Start, buffer.End);
                if (read.IsCompleted)
                {
                    return;
                }
            }
        }

        private enum Event
        {
            None,
            Frame,
            Reset,
            Other,
        }

        /// <summary>Adds bytes of the first reset's data line as they are skipped.</summary>
        private void CountReset(long bytes, bool done)
        {
            if (_resetBytes < 0)
            {
                return;
            }
            _resetBytes += bytes;
            if (done)
            {
                FirstResetBytes = _resetBytes;
                _resetBytes = -1;
            }
        }

        /// <summary>Skips the "data: " line that follows; true when it is not all there yet (skip the rest as it comes).</summary>
        private static bool TrySkipData(ref ReadOnlySequence<byte> buffer)
        {
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                buffer = buffer.Slice(buffer.GetPosition(1, end));
                return false;
            }
            buffer = buffer.Slice(buffer.End);
            return true;
        }

        private static bool Starts(ReadOnlySequence<byte> line, ReadOnlySpan<byte> prefix) => new SequenceReader<byte>(line).IsNext(prefix);

        /// <summary>
        /// A frame's data (<c>{"rows":[...],"removed":[...]}</c>), read where it lies in the pipe's buffer: the <c>version</c>
        /// and <c>updatedAt</c> of each row (an object of either list), nothing else kept, no copy, no allocation per row.
        /// </summary>
        private void Frame(ReadOnlySequence<byte> data)
        {
            var from = Interlocked.Read(ref _from);
            if (from == long.MaxValue)
            {
                return;
            }
            var now = DateTimeOffset.UtcNow;
            var reader = new Utf8JsonReader(data);
            var (version, updatedAt, rows) = ((long?)null, (DateTimeOffset?)null, 0);
            lock (_samples)
            {
                while (reader.Read())
                {
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.StartObject when reader.CurrentDepth == 2:
                            (version, updatedAt) = (null, null);
                            break;
                        case JsonTokenType.EndObject when reader.CurrentDepth == 2:
                            rows++;
                            if (version is { } v && updatedAt is { } at && at.UtcTicks >= from && _seen.Add(v))
                            {
                                _samples.Add((now - at).TotalMilliseconds);
                            }
                            break;
                        case JsonTokenType.PropertyName when reader.CurrentDepth == 3:
                            if (reader.ValueTextEquals("version"u8))
                            {
                                version = reader.Read() && reader.TryGetInt64(out var read) ? read : null;
                            }
                            else if (reader.ValueTextEquals("updatedAt"u8))
                            {
                                updatedAt = reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var read) ? read : null;
                            }
                            else
                            {
                                reader.Skip(); // its value (the row's columns) is not timed
                            }
                            break;
                    }
                }
            }
            Interlocked.Add(ref _rowsRead, rows);
        }

        private static long _rowsRead;

        /// <summary>Rows of frames read while timing, by every browser.</summary>
        public static long RowsRead => Interlocked.Read(ref _rowsRead);
    }
}
