using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 22's recovery with real workstations: a site on a broker node of its own (<see cref="SiteStack"/>, port 5712;
/// never the shared broker), its distributor (in this process) fed 2,000 agent rows a second by the center, and C real
/// client processes (<c>RealTimeDistributor.Client</c>, durable queues, the product's defaults) for each client count and
/// reconnect policy. The client reads its stream with raw RabbitMQ.Client and always waits as the jittered policy does
/// (RabbitMq:ReconnectDelay/ReconnectMaxDelay), so the policies differ only for a client before that change (the
/// MassTransit receive endpoint, whose <c>RabbitMq:ReconnectPolicy=masstransit</c> was the baseline). Each set of clients lives through two outages of the site node, in this order: a graceful
/// stop, 2 s down, start; then a crash (SIGKILL), 2 s down, start (the second outage of the processes' life: MassTransit's
/// own policy keeps counting). Per outage, from each client's GET /stats: the time from the moment the node listens again
/// (its AMQP port accepts a connection; node.sh start returns seconds later) until the client holds a site message
/// committed after that ("fresh": <c>lastSiteSequence</c> above the replica's site sequence at that moment), the snapshots it reloaded and the gaps it found; from the node's management API, once it lists every
/// client's connection (polled: its list lags), when each came back (first, last, peak per second). Client counts:
/// RTD_BENCH_RESTART_CLIENTS ("30,60"; 10 in --quick); policies: RTD_BENCH_RESTART_POLICIES ("jittered", the default; "masstransit,jittered" as before).
/// Per outage also where the time goes: the messages queued before it, each client's catch-up (its reconnect to its
/// fresh message) and the rows it applied, and the CPU of the clients, the center + distributor, the site broker and the
/// machine while following and from the listener to all fresh.
/// </summary>
public static class ClientRestartBenchmark
{
    private const string Group = "restart-clients: real workstations after a restart of their site broker";
    private static readonly string[] Keys = [.. Enumerable.Range(1, 2_000).Select(i => i.ToString(CultureInfo.InvariantCulture))];
    private static string[] Policies =>
        Environment.GetEnvironmentVariable("RTD_BENCH_RESTART_POLICIES") is { Length: > 0 } policies ? policies.Split(',') : ["jittered"];

    public static int[] ClientCounts(bool quick) =>
        Environment.GetEnvironmentVariable("RTD_BENCH_RESTART_CLIENTS") is { Length: > 0 } counts
            ? [.. counts.Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture))]
            : quick ? [10] : [30];

    public static async Task RunAsync(Report report, int[] clientCounts)
    {
        ParseCost(report);
        await using var stack = await SiteStack.StartAsync();
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("restart");
        var replica = system.ReplicaDatabase(site);
        await stack.AddSiteAsync(site, replica);
        (await system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" })).EnsureSuccessStatusCode();
        var distributorSettings = SiteStack.Broker("SiteRabbitMq");
        distributorSettings["ConnectionStrings:Replica"] = SiteStack.ConnectionString(replica);
        distributorSettings["Serilog:MinimumLevel:Default"] = "Error";
        await system.StartDistributorAsync(site, extra: distributorSettings);
        using var stop = new CancellationTokenSource();
        var feed = Task.Run(async () =>
        {
            for (var version = 1L; !stop.IsCancellationRequested; version++)
            {
                await system.PublishAsync("agent", Keys, version);
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            foreach (var clients in clientCounts)
            {
                foreach (var policy in Policies)
                {
                    await RunClientsAsync(report, system, stack, http, site, replica, clients, policy);
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await feed.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// What one site message of 1,000 agent rows (as the distributor writes it) costs a client, before anything else runs
    /// in this process: parsed straight into a <see cref="SiteUpdate"/>; parsed as MassTransit's raw JSON deserializer
    /// does (the body into a <see cref="JsonElement"/>, then the element into the message); applied to a
    /// <see cref="ClientView"/>. CPU µs per message (this process's), over 200 messages after 200 of warm-up.
    /// </summary>
    private static void ParseCost(Report report)
    {
        const int Messages = 200;
        var at = DateTimeOffset.UtcNow;
        var rows = Keys.Take(1000).Select(k => Json.ToElement(new
        {
            agentId = k,
            state = "Talking",
            skillGroupId = 5001,
            teamId = 101,
            stateSince = at,
            callsToday = 12,
            direction = "inbound",
        })).ToList();
        var bodies = Enumerable.Range(1, 2 * Messages).Select(m =>
        {
            var update = new RealTimeUpdate("restart", 1000L * m, "agent", [.. rows.Select((data, i) => new RealTimeRow(Keys[i], m, at, data))], at)
            {
                FirstSiteSequence = (1000L * m) - 999,
                PreviousSiteSequence = 1000L * (m - 1),
            };
            return Json.Serialize<SiteUpdate>(update);
        }).ToList();
        var view = new ClientView();
        view.Load(0, []);
        double CpuMicroseconds(Action<int> work)
        {
            Enumerable.Range(0, Messages).ToList().ForEach(work); // warm-up
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            Enumerable.Range(Messages, Messages).ToList().ForEach(work);
            return (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds / Messages;
        }
        var direct = CpuMicroseconds(i => JsonSerializer.Deserialize<SiteUpdate>(bodies[i], Json.Options));
        var twice = CpuMicroseconds(i => JsonSerializer.Deserialize<JsonElement>(bodies[i]).Deserialize<SiteUpdate>(Json.Options));
        var updates = bodies.Select(b => JsonSerializer.Deserialize<SiteUpdate>(b, Json.Options)!).ToList();
        var apply = CpuMicroseconds(i => view.Apply(updates[i]));
        Console.WriteLine($"restart-clients: a client's cost of one 1,000-row agent message ({bodies[0].Length:N0} bytes): parse {direct:N0} µs, "
            + $"parse as MassTransit's raw JSON does {twice:N0} µs, apply {apply:N0} µs (CPU); the view applied {view.RealTimeRows:N0} rows");
        report.Add(Group, "a client's cost of a 1,000-row message: parsed into a SiteUpdate", direct, "µs CPU");
        report.Add(Group, "a client's cost of a 1,000-row message: parsed as MassTransit's raw JSON deserializer does", twice, "µs CPU");
        report.Add(Group, "a client's cost of a 1,000-row message: applied to the view", apply, "µs CPU");
    }

    /// <summary>Starts <paramref name="clients"/> client processes with reconnect <paramref name="policy"/>, measures both outages, then ends them and deletes their queues.</summary>
    private static async Task RunClientsAsync(Report report, RtdSystem system, SiteStack stack, HttpClient http, string site, string replica, int clients, string policy)
    {
        var prefix = $"{policy[..2]}{clients}-";
        var processes = new List<Process>();
        var ports = new List<int>();
        for (var i = 0; i < clients; i++)
        {
            var port = CommandRuns.FreePort();
            var environment = SiteStack.Broker("RabbitMq").ToDictionary(e => e.Key.Replace(":", "__", StringComparison.Ordinal), e => e.Value!);
            environment["RabbitMq__ReconnectPolicy"] = policy;
            environment["Client__Site"] = site;
            environment["Client__Workstation"] = $"{prefix}{i:00}";
            environment["Urls"] = $"http://127.0.0.1:{port}";
            environment["Serilog__MinimumLevel__Default"] = "Error";
            processes.Add(system.StartProcess("RealTimeDistributor.Client", environment));
            ports.Add(port);
        }
        var name = $"{clients} clients, {policy} reconnect";
        try
        {
            var started = Stopwatch.StartNew();
            while ((await Task.WhenAll(ports.Select(p => ClientStats.ReadAsync(http, p)))).Any(s => s is not { Snapshots: > 0, LastSiteSequence: > 0 }))
            {
                if (started.Elapsed > TimeSpan.FromMinutes(4))
                {
                    throw new TimeoutException($"{clients} client processes did not all load a snapshot and follow the stream in 4 minutes");
                }
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
            var (rssMean, rssMax) = Rss(processes);
            Console.WriteLine($"restart-clients: {name}: all follow the site stream ({started.Elapsed.TotalSeconds:N0} s); RSS per client mean {rssMean:N0} MB, max {rssMax:N0} MB; "
                + $"memory available {AvailableGiB():N1} GiB; load average {LoadAverage():N1}");
            report.Add(Group, $"{name}: client RSS, mean", rssMean, "MB");
            report.Add(Group, $"{name}: client RSS, max", rssMax, "MB");
            foreach (var crash in new[] { false, true })
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                await MeasureOutageAsync(report, stack, http, site, replica, processes, ports, prefix, $"{name}, {(crash ? "crash (SIGKILL)" : "graceful stop")}", crash);
            }
            (rssMean, rssMax) = Rss(processes);
            report.Add(Group, $"{name}: client RSS after both outages, mean", rssMean, "MB");
        }
        finally
        {
            foreach (var process in processes.Where(p => !p.HasExited))
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            await DeleteQueuesAsync(stack, site, prefix);
        }
    }

    private static async Task MeasureOutageAsync(Report report, SiteStack stack, HttpClient http, string site, string replica, List<Process> processes, List<int> ports,
        string prefix, string name, bool crash)
    {
        var clients = ports.Count;
        // following, before the outage: what the clients and the rest cost each second, and what waits in their queues
        var steady = CpuSample.Take(processes);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var steadyCost = CpuSample.Take(processes).Since(steady);
        var backlog = await QueuedAsync(stack, site, prefix);
        var before = await Task.WhenAll(ports.Select(p => ClientStats.ReadAsync(http, p)));
        var restart = Stopwatch.StartNew();
        await SiteStack.StopNodeAsync(crash);
        await Task.Delay(TimeSpan.FromSeconds(2)); // down: nothing listens until the node starts again
        var start = Task.Run(async () =>
        {
            await SiteStack.StartNodeAsync();
            return DateTimeOffset.UtcNow;
        });
        // the broker is back when its AMQP listener accepts a connection (node.sh start returns seconds later, once the
        // node reports itself started: under load, after most clients are back)
        var up = await BrokerRestarts.ListeningAsync(SiteStack.RabbitPort);
        var stoppedFor = restart.Elapsed;
        var upSequence = await SiteStack.QueryAsync<long>(replica, "SELECT site_sequence FROM sync_state");
        var upCpu = CpuSample.Take(processes);
        var fresh = new double?[clients];
        var sinceUp = Stopwatch.StartNew();
        ClientStats?[] after = [];
        while (fresh.Any(f => f is null) && sinceUp.Elapsed < TimeSpan.FromMinutes(2))
        {
            after = await Task.WhenAll(ports.Select(p => ClientStats.ReadAsync(http, p)));
            for (var i = 0; i < clients; i++)
            {
                fresh[i] ??= after[i] is { } s && s.LastSiteSequence > upSequence ? sinceUp.Elapsed.TotalSeconds : null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        var recoveryCost = CpuSample.Take(processes).Since(upCpu);
        var started = (await start - up).TotalSeconds;
        var load = LoadAverage();

        var connected = await ReconnectsAsync(stack, site, prefix, up, clients);
        var reconnects = connected.Values.Order().ToList();
        var times = fresh.Where(f => f is not null).Select(f => f!.Value).ToList();
        // each client's own catch-up: from its connection back to its first fresh message, and the rows it applied meanwhile
        List<double> catchUp = [.. Enumerable.Range(0, clients)
            .Where(i => fresh[i] is not null && connected.ContainsKey($"{prefix}{i:00}"))
            .Select(i => fresh[i]!.Value - connected[$"{prefix}{i:00}"])];
        List<double> rows = [.. before.Zip(after).Where(p => p.First is not null && p.Second is not null).Select(p => (double)(p.Second!.RealTimeRows - p.First!.RealTimeRows))];
        var freshIn = times.Count == clients ? times.Max() : double.NaN;
        var reloaded = before.Zip(after).Count(p => p.Second is { } s && p.First is { } b && s.Snapshots > b.Snapshots);
        var gaps = before.Zip(after).Sum(p => p.Second is { } s && p.First is { } b ? s.Gaps - b.Gaps : 0);
        var peak = reconnects.GroupBy(r => Math.Floor(r)).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        Console.WriteLine($"  {name}: down until listening {stoppedFor.TotalSeconds:N1} s (node.sh start returned {started:N1} s later); fresh {times.Count} of {clients}, all within {freshIn:N1} s of the listener "
            + $"(median {(times.Count == 0 ? double.NaN : Percentiles.Of(times).P50):N1} s); {reloaded} reloaded a snapshot, {gaps} gaps; load average {load:N1}; "
            + $"{reconnects.Count} reconnects at {string.Join(" ", reconnects.Select(r => r.ToString("0.0", CultureInfo.InvariantCulture)))} s after it listens");
        Console.WriteLine($"    queued before the outage: {backlog.Sum:N0} messages in all, {backlog.Max:N0} in the fullest queue; following: {steadyCost}");
        Console.WriteLine($"    catch-up, each client's connection back -> fresh: median {Median(catchUp):N1} s, max {catchUp.DefaultIfEmpty(double.NaN).Max():N1} s; "
            + $"rows applied meanwhile per client median {Median(rows):N0}; from the listener to all fresh: {recoveryCost}");
        report.Add(Group, $"{name}: node down + 2 s + start, until it listens", stoppedFor.TotalSeconds, "s");
        report.Add(Group, $"{name}: node.sh start returned after it listens", started, "s");
        report.Add(Group, $"{name}: fresh again", times.Count, "clients");
        report.Add(Group, $"{name}: all fresh after the node listens", freshIn, "s");
        report.Add(Group, $"{name}: median client fresh after it listens", times.Count == 0 ? double.NaN : Percentiles.Of(times).P50, "s");
        report.Add(Group, $"{name}: clients that reloaded a snapshot", reloaded, "clients");
        report.Add(Group, $"{name}: gaps found", gaps, "gaps");
        report.Add(Group, $"{name}: client connections back (management API)", reconnects.Count, "connections");
        report.Add(Group, $"{name}: first reconnect after it listens", reconnects.DefaultIfEmpty(double.NaN).Min(), "s");
        report.Add(Group, $"{name}: last reconnect after it listens", reconnects.DefaultIfEmpty(double.NaN).Max(), "s");
        report.Add(Group, $"{name}: peak reconnects in one second", peak, "connections");
        report.Add(Group, $"{name}: load average (1 min) when all were fresh", load, "");
        report.Add(Group, $"{name}: messages queued for the clients before the outage", backlog.Sum, "messages");
        report.Add(Group, $"{name}: catch-up, a client's reconnect -> fresh, median", Median(catchUp), "s");
        report.Add(Group, $"{name}: catch-up, a client's reconnect -> fresh, max", catchUp.DefaultIfEmpty(double.NaN).Max(), "s");
        report.Add(Group, $"{name}: rows a client applied from before the outage to fresh, median", Median(rows), "rows");
        steadyCost.AddTo(report, Group, $"{name}: following, before the outage");
        recoveryCost.AddTo(report, Group, $"{name}: from the listener to all fresh");
    }

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : Percentiles.Of(values).P50;

    /// <summary>The messages in one set's queues (prefix): their sum and the fullest queue's.</summary>
    private static async Task<(long Sum, long Max)> QueuedAsync(SiteStack stack, string site, string prefix)
    {
        var vhost = Uri.EscapeDataString(Topology.Site.VirtualHost(site));
        var queues = await stack.Management.GetFromJsonAsync<JsonElement>($"queues/{vhost}?columns=name,messages");
        List<long> counts = [.. queues.EnumerateArray()
            .Where(q => q.GetProperty("name").GetString()!.StartsWith(Topology.Site.ClientQueue(site, prefix), StringComparison.Ordinal))
            .Select(q => q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0)];
        return (counts.Sum(), counts.DefaultIfEmpty(0).Max());
    }

    /// <summary>
    /// CPU seconds used so far by the client processes, this process (the center and the distributor), the site node's
    /// Erlang VM (its pid file), and the whole machine (/proc/stat), at one moment.
    /// </summary>
    private sealed record CpuSample(long At, double Clients, int ClientCount, double Bench, double Broker, double Machine)
    {
        private static readonly double Tick = 100.0; // USER_HZ

        public static CpuSample Take(List<Process> processes)
        {
            var clients = processes.Select(p => ProcessSeconds(p.Id)).Where(s => s is not null).Select(s => s!.Value).ToList();
            var broker = File.Exists(NodePidFile) && int.TryParse(File.ReadAllText(NodePidFile).Trim(), out var pid) ? ProcessSeconds(pid) ?? 0 : 0;
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..].Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            var busy = cpu.Sum() - cpu[3] - cpu[4]; // all but idle and iowait
            return new CpuSample(Stopwatch.GetTimestamp(), clients.Sum(), clients.Count, Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, broker, busy / Tick);
        }

        /// <summary>Cores used, on average, from <paramref name="earlier"/> to this one.</summary>
        public CpuSample Since(CpuSample earlier)
        {
            var seconds = Stopwatch.GetElapsedTime(earlier.At, At).TotalSeconds;
            return new CpuSample(At - earlier.At, (Clients - earlier.Clients) / seconds, ClientCount, (Bench - earlier.Bench) / seconds,
                (Broker - earlier.Broker) / seconds, (Machine - earlier.Machine) / seconds);
        }

        public void AddTo(Report report, string group, string name)
        {
            report.Add(group, $"{name}: CPU of the clients, in all", Clients * 100, "% of a core");
            report.Add(group, $"{name}: CPU of a client, mean", Clients * 100 / Math.Max(1, ClientCount), "% of a core");
            report.Add(group, $"{name}: CPU of the center + distributor (benchmark process)", Bench * 100, "% of a core");
            report.Add(group, $"{name}: CPU of the site broker", Broker * 100, "% of a core");
            report.Add(group, $"{name}: CPU of the machine (2 cores = 200)", Machine * 100, "% of a core");
        }

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"CPU clients {Clients * 100:N0} % of a core ({Clients * 100 / Math.Max(1, ClientCount):N1} % each), center + distributor {Bench * 100:N0} %, site broker {Broker * 100:N0} %, machine {Machine * 100:N0} of 200 %");

        private const string NodePidFile = "/var/lib/rabbitmq/rtd-nodes/rtdtestsite/pid";

        private static double? ProcessSeconds(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / Tick;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Seconds from <paramref name="up"/> to each client connection's <c>connected_at</c> on the site node (the clients'
    /// own, by name), read once the management API lists all <paramref name="clients"/> (its list lags the broker; at most 30 s).
    /// </summary>
    private static async Task<Dictionary<string, double>> ReconnectsAsync(SiteStack stack, string site, string prefix, DateTimeOffset up, int clients)
    {
        var listed = Stopwatch.StartNew();
        var named = $"rtd {site} client ";
        while (true)
        {
            var connections = await stack.Management.GetFromJsonAsync<JsonElement>("connections?columns=client_properties.connection_name,connected_at");
            var back = connections.EnumerateArray()
                .Select(c => (Name: c.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var n) ? n.GetString() : null, Connection: c))
                .Where(c => c.Name is { } name && name.StartsWith(named + prefix, StringComparison.Ordinal) && !name[named.Length..].Contains(' ', StringComparison.Ordinal))
                .GroupBy(c => c.Name![named.Length..])
                .ToDictionary(g => g.Key, g => g.Min(c => (DateTimeOffset.FromUnixTimeMilliseconds(c.Connection.GetProperty("connected_at").GetInt64()) - up).TotalSeconds));
            if (back.Count >= clients || listed.Elapsed > TimeSpan.FromSeconds(30))
            {
                return back;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>The queues of one set of clients (prefix): they would go on taking a copy of every site message.</summary>
    private static async Task DeleteQueuesAsync(SiteStack stack, string site, string prefix)
    {
        var vhost = Uri.EscapeDataString(Topology.Site.VirtualHost(site));
        var queues = await stack.Management.GetFromJsonAsync<JsonElement>($"queues/{vhost}?columns=name");
        foreach (var queue in queues.EnumerateArray().Select(q => q.GetProperty("name").GetString()!)
            .Where(q => q.StartsWith(Topology.Site.ClientQueue(site, prefix), StringComparison.Ordinal)))
        {
            (await stack.Management.DeleteAsync($"queues/{vhost}/{Uri.EscapeDataString(queue)}")).EnsureSuccessStatusCode();
        }
    }

    /// <summary>Resident memory of the client processes, mean and max, MB.</summary>
    private static (double Mean, double Max) Rss(List<Process> processes)
    {
        var rss = processes.Where(p => !p.HasExited).Select(p =>
        {
            p.Refresh();
            return p.WorkingSet64 / 1_048_576.0;
        }).ToList();
        return rss.Count == 0 ? (double.NaN, double.NaN) : (rss.Average(), rss.Max());
    }

    private static double AvailableGiB() =>
        File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is var kb ? double.Parse(kb, CultureInfo.InvariantCulture) / 1_048_576 : double.NaN;

    private static double LoadAverage() => Report.LoadAverage() ?? double.NaN;
}
