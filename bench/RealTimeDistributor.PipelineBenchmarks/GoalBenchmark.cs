using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using static RealTimeDistributor.PipelineBenchmarks.FanoutBenchmark;
using static RealTimeDistributor.PipelineBenchmarks.ScaleBenchmark;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 22's goal in one run: a live center of N agents (<see cref="ScaleBenchmark"/>'s: the central controller simulating
/// calls, 1 s interval, and the site's distributor, processes of their own) whose site runs on a private RabbitMQ node
/// (<see cref="FanoutNode"/> "rtd-goal": the distributor's SiteRabbitMq and the clients' RabbitMq point at it; the center
/// stays on the shared broker, which is never restarted). On the site: P real client processes (each a workstation of
/// its own), W lean workstations (<see cref="LeanWorkstation"/>s: a connection each, a durable queue with the product's arguments and bindings <c>#</c>,
/// each table's chain checked for gaps, every row timed) and B browsers over the client processes' GET /events
/// (<see cref="BrowsersBenchmark"/>'s: its scope mix, every tenth stalled). First the RSS of one real client process
/// (why the W workstations are lean). Then a window: per-screen freshness (a row's arrival minus its central interval
/// time, <c>updatedAt</c>) pooled p50/p99/max and the worst screen's p99, for workstations and for browsers; gaps; each
/// client process's RSS at start, end and peak and its CPU; the CPU of every process; the site node's bytes in and out
/// per changed row. Then the site node is restarted (graceful stop, 2 s down, start): the time from its listener being
/// back until every workstation and every client process holds a site message committed after that, and the connection
/// attempts per second meanwhile. Verdict lines set each figure against the goal.
/// </summary>
public static class GoalBenchmark
{
    private const string Group = "goal: the issue's goal in one run";
    private const string NodeName = "rtd-goal";
    private static readonly TimeSpan FreshnessGoal = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RecoveryGoal = TimeSpan.FromSeconds(10);
    private const double MinimumAvailableGiB = 3;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    public sealed record Options(int Agents, int CallsPerSecond, int Workstations, int Browsers, int ClientProcesses, TimeSpan Window, int FullRefreshEvery)
    {
        /// <summary>
        /// The run's size: <paramref name="full"/>, or RTD_BENCH_GOAL_SIZE "agents,workstations,browsers,client processes"
        /// (calls per second: agents / 300).
        /// </summary>
        public static Options Sized(Options full) =>
            Environment.GetEnvironmentVariable("RTD_BENCH_GOAL_SIZE") is { Length: > 0 } size
            && size.Split(',').Select(n => int.Parse(n, CultureInfo.InvariantCulture)).ToArray() is [var agents, var workstations, var browsers, var processes]
                ? full with { Agents = agents, CallsPerSecond = Math.Max(1, agents / 300), Workstations = workstations, Browsers = browsers, ClientProcesses = processes }
                : full;
    }

    public static async Task RunAsync(Report report, Options options)
    {
        CheckMemory("before the run");
        await using var node = await FanoutNode.StartAsync(NodeName);
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("goal");
        using var management = Management(node);
        var vhost = Topology.Site.VirtualHost(site);
        (await management.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        (await management.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/guest", new { configure = ".*", write = ".*", read = ".*" })).EnsureSuccessStatusCode();
        var (distributor, central) = await StartCenterAndSiteAsync(system, site, options.Agents, options.CallsPerSecond, options.FullRefreshEvery,
            teamSize: BrowsersBenchmark.TeamSize, distributorEnvironment: Broker(node, "SiteRabbitMq"));
        var name = $"{options.Agents:N0} agents, {options.CallsPerSecond} calls/s, {options.Workstations} workstations, {options.Browsers:N0} browsers over " +
            $"{options.ClientProcesses} client processes";

        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = Timeout.InfiniteTimeSpan };
        using var stalledHttp = new HttpClient(new SocketsHttpHandler { ConnectCallback = WallboardHost.SmallReceiveBufferAsync }) { Timeout = Timeout.InfiniteTimeSpan };
        var clients = new List<(Process Process, int Port)>();
        for (var i = 0; i < options.ClientProcesses; i++)
        {
            var port = CommandRuns.FreePort();
            var environment = Broker(node, "RabbitMq");
            environment["Client__Site"] = site;
            environment["Client__Workstation"] = $"goal-client-{i}";
            environment["Urls"] = $"http://127.0.0.1:{port}";
            environment["Serilog__MinimumLevel__Default"] = "Error";
            clients.Add((system.StartProcess("RealTimeDistributor.Client", environment), port));
        }
        foreach (var (_, port) in clients)
        {
            await BrowsersBenchmark.WaitSnapshotAsync(http, port);
        }
        // one real client process, following the site with no browser: what each of W workstation processes would take
        var clientRss = clients.Max(c => ProcessUsage.Read(c.Process.Id).RssMegabytes);
        var available = AvailableGiB();
        Console.WriteLine($"goal: a client process holds the site's view in {clientRss:N0} MB; {options.Workstations} of them: {clientRss * options.Workstations / 1024:N1} GiB, " +
            $"memory available {available:N1} GiB");
        report.Add(Group, $"{name}: one client process's RSS (view loaded, no browser)", clientRss, "MB");
        report.Add(Group, $"{name}: {options.Workstations} client processes would take", clientRss * options.Workstations / 1024, "GiB");
        report.Add(Group, $"{name}: memory available with the center, site and clients running", available, "GiB");

        await using var workstations = new LeanWorkstations(node, new(site, vhost, "goal", Stream: null, TimeRows: true));
        await workstations.AddAsync(options.Workstations);
        using var stop = new CancellationTokenSource();
        var browsers = Enumerable.Range(0, options.Browsers).Select(i => new BrowsersBenchmark.Browser(i % 10 == 9 ? stalledHttp : http,
            new Uri($"http://127.0.0.1:{clients[i % clients.Count].Port}/events{BrowsersBenchmark.ScopeOf(i).Query}"), stalls: i % 10 == 9,
            BrowsersBenchmark.ScopeOf(i).Kind)).ToList();
        var readers = browsers.Where(b => !b.Stalls).ToList();
        var connecting = Stopwatch.StartNew();
        var running = browsers.Select(b => b.RunAsync(stop.Token)).ToList();
        var connected = await Task.WhenAll(browsers.Select(b => b.Connected.Task)).WaitAsync(TimeSpan.FromMinutes(3))
            .ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default);
        Console.WriteLine($"goal: {(connected ? "all" : "NOT all")} {options.Browsers:N0} browsers connected in {connecting.Elapsed.TotalSeconds:N1} s; " +
            $"{workstations.Count} workstations follow the site");
        report.Add(Group, $"{name}: every browser connected (readers hold their first reset)", connected ? 1 : 0, "yes=1");
        report.Add(Group, $"{name}: time until every browser connected", connecting.Elapsed.TotalSeconds, "s");

        var processes = new Dictionary<string, int> { ["central"] = central.Id, ["distributor"] = distributor.Id };
        for (var i = 0; i < clients.Count; i++)
        {
            processes[$"client process {i + 1}"] = clients[i].Process.Id;
        }
        var window = await MeasureAsync(report, name, options, node, workstations, readers, clients, processes);
        var recovery = await RecoverAsync(report, name, system, site, node, management, http, workstations, clients, readers);
        await stop.CancelAsync();
        await Task.WhenAll(running);
        Verdicts(report, window, recovery, workstations.Count);
    }

    /// <summary>What the verdicts need of the window: freshness p99 (ms) at workstations and browsers, gaps, the largest client RSS growth (a fraction).</summary>
    private sealed record Window(double WorkstationP99, double BrowserP99, long Gaps, double RssGrowth, bool ClientsAlive);

    /// <summary>Seconds from the listener until every workstation, every client process was fresh (NaN: not all); workstation attempts after it and their peak second.</summary>
    private sealed record Recovery(double Workstations, double Clients, int Attempts, int PeakAttempts);

    private static async Task<Window> MeasureAsync(Report report, string name, Options options, FanoutNode node, LeanWorkstations workstations,
        List<BrowsersBenchmark.Browser> readers, List<(Process Process, int Port)> clients, Dictionary<string, int> processes)
    {
        Console.WriteLine($"goal: {name}, {Settle.TotalSeconds:N0} s to settle, then {options.Window.TotalSeconds:N0} s");
        // settle: the browsers have just read their first resets, and the client processes' memory has not found its level
        await Task.Delay(Settle);
        var from = DateTimeOffset.UtcNow;
        workstations.Begin(from);
        readers.ForEach(r => r.Begin(from));
        var before = processes.ToDictionary(p => p.Key, p => ProcessUsage.Read(p.Value));
        var databaseBefore = ProcessUsage.All("postgres").ToDictionary(pid => pid, ProcessUsage.Read);
        var broker = node.Usage();
        var self = ProcessUsage.Read(Environment.ProcessId);
        var rowsBefore = workstations.Rows;
        var peak = clients.Select(c => ProcessUsage.Read(c.Process.Id).RssMegabytes).ToArray();
        var start = peak.ToArray();
        var lowest = AvailableGiB();
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < options.Window)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            for (var i = 0; i < clients.Count; i++)
            {
                peak[i] = Math.Max(peak[i], ProcessUsage.Read(clients[i].Process.Id).RssMegabytes);
            }
            CheckMemory("in the window");
            lowest = Math.Min(lowest, AvailableGiB());
        }
        var elapsed = watch.Elapsed;
        var after = processes.ToDictionary(p => p.Key, p => ProcessUsage.Read(p.Value));
        var (brokerAfter, selfAfter) = (node.Usage(), ProcessUsage.Read(Environment.ProcessId));
        // backends come and go: the CPU of those running at the end, since the start (or since they started)
        var databaseCpu = ProcessUsage.All("postgres").Sum(pid => ProcessUsage.Read(pid).CpuSeconds - databaseBefore.GetValueOrDefault(pid).CpuSeconds);
        var rows = workstations.Rows - rowsBefore;
        List<double[]> atWorkstations = [.. workstations.End().Select(w => w.Select(s => s.Ms).ToArray())];
        var atReaders = readers.Select(r => r.End()).ToList();

        void Screens(string screens, List<double[]> samples)
        {
            var pooled = Percentiles.Of(samples.SelectMany(s => s).DefaultIfEmpty(double.NaN));
            var worst = samples.Where(s => s.Length > 0).Select(s => Percentiles.Of(s).P99).DefaultIfEmpty(double.NaN).Max();
            Console.WriteLine($"  {screens}: {pooled}; worst screen p99 {worst:N0} ms; {samples.Count(s => s.Length == 0)} without a row");
            foreach (var (label, value) in new[] { ("p50", pooled.P50), ("p99", pooled.P99), ("max", pooled.Max) })
            {
                report.Add(Group, $"{name}: {screens}' freshness {label}", value, "ms");
            }
            report.Add(Group, $"{name}: {screens}: worst screen's p99", worst, "ms");
            report.Add(Group, $"{name}: {screens} without a row in the window", samples.Count(s => s.Length == 0), "screens");
        }
        Screens($"{atWorkstations.Count} workstations", atWorkstations);
        Screens($"{readers.Count} reading browsers", atReaders);
        foreach (var scope in readers.Zip(atReaders).GroupBy(r => r.First.Scope))
        {
            var of = Percentiles.Of(scope.SelectMany(r => r.Second).DefaultIfEmpty(double.NaN));
            Console.WriteLine($"    browsers of a {scope.Key} ({scope.Count()}): {of}");
            report.Add(Group, $"{name}: browsers of a {scope.Key}: freshness p99", of.P99, "ms");
            report.Add(Group, $"{name}: browsers of a {scope.Key}: rows per browser", of.Samples / (double)scope.Count() / elapsed.TotalSeconds, "rows/s");
        }
        report.Add(Group, $"{name}: memory available, lowest in the window", lowest, "GiB");
        report.Add(Group, $"{name}: browsers that fell behind (a reset after the first)", readers.Count(r => r.Resets > 1), "browsers");
        report.Add(Group, $"{name}: workstations' gaps", workstations.Gaps, "gaps");
        report.Add(Group, $"{name}: changed rows on the site stream", rows / elapsed.TotalSeconds, "rows/s");
        var (received, sent) = brokerAfter.Since(broker);
        report.Add(Group, $"{name}: site broker bytes in per changed row", received / (double)Math.Max(1, rows), "B");
        report.Add(Group, $"{name}: site broker bytes out per changed row", sent / (double)Math.Max(1, rows), "B");

        double Cpu(ProcessUsage a, ProcessUsage b) => (b.CpuSeconds - a.CpuSeconds) / elapsed.TotalSeconds * 100;
        var growth = 0.0;
        for (var i = 0; i < clients.Count; i++)
        {
            var client = $"client process {i + 1}";
            var end = after[client].RssMegabytes;
            growth = Math.Max(growth, (end - start[i]) / start[i]);
            Console.WriteLine($"  {client}: RSS {start[i]:N0} -> {end:N0} MB (peak {peak[i]:N0}), CPU {Cpu(before[client], after[client]):N0} %");
            report.Add(Group, $"{name}: {client} RSS at the start of the window", start[i], "MB");
            report.Add(Group, $"{name}: {client} RSS at the end", end, "MB");
            report.Add(Group, $"{name}: {client} RSS peak", peak[i], "MB");
        }
        foreach (var (process, usage) in before)
        {
            report.Add(Group, $"{name}: {process} CPU", Cpu(usage, after[process]), "% of a core");
        }
        report.Add(Group, $"{name}: site broker (beam.smp) CPU", Cpu(broker.Cpu, brokerAfter.Cpu), "% of a core");
        report.Add(Group, $"{name}: site broker RSS", brokerAfter.Cpu.RssMegabytes, "MB");
        report.Add(Group, $"{name}: PostgreSQL (all backends, shared) CPU", databaseCpu / elapsed.TotalSeconds * 100, "% of a core");
        report.Add(Group, $"{name}: benchmark process (workstations and browsers) CPU", Cpu(self, selfAfter), "% of a core");
        Console.WriteLine($"  CPU: {string.Join(", ", before.Select(b => $"{b.Key} {Cpu(b.Value, after[b.Key]):N0} %"))}, broker {Cpu(broker.Cpu, brokerAfter.Cpu):N0} %, " +
            $"PostgreSQL {databaseCpu / elapsed.TotalSeconds * 100:N0} %, benchmark {Cpu(self, selfAfter):N0} %; load average {Report.LoadAverage():N1}");
        return new Window(Percentiles.Of(atWorkstations.SelectMany(s => s).DefaultIfEmpty(double.NaN)).P99,
            Percentiles.Of(atReaders.SelectMany(s => s).DefaultIfEmpty(double.NaN)).P99, workstations.Gaps, growth, clients.All(c => !c.Process.HasExited));
    }

    /// <summary>
    /// Restarts the site node (graceful stop, 2 s down, start) with everything running; from the moment its AMQP listener
    /// accepts a connection: until each workstation and each client process holds a site message committed after that,
    /// and the connection attempts per second.
    /// </summary>
    private static async Task<Recovery> RecoverAsync(Report report, string name, RtdSystem system, string site, FanoutNode node, HttpClient management,
        HttpClient http, LeanWorkstations workstations, List<(Process Process, int Port)> clients, List<BrowsersBenchmark.Browser> readers)
    {
        Console.WriteLine($"goal: broker restart (site node {NodeName}, port {node.Port})");
        var before = await Task.WhenAll(clients.Select(c => ClientStats.ReadAsync(http, c.Port)));
        var resetsBefore = readers.Sum(r => r.Resets);
        var down = Stopwatch.StartNew();
        await node.StopAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var starting = node.StartAgainAsync();
        var up = await BrokerRestarts.ListeningAsync(node.Port);
        var upSequence = await system.SiteSequenceAsync(site);
        report.Add(Group, $"{name}: broker stop + 2 s + start, until it listens", down.Elapsed.TotalSeconds, "s");
        workstations.AwaitFresh(m => m.Kind == SiteUpdate.RealTimeKind && m.SiteSequence > upSequence);
        var clientsFresh = new double?[clients.Count];
        var since = Stopwatch.StartNew();
        ClientStats?[] after = [];
        while ((clientsFresh.Any(f => f is null) || workstations.FreshCount < workstations.Count) && since.Elapsed < TimeSpan.FromMinutes(2))
        {
            after = await Task.WhenAll(clients.Select(c => ClientStats.ReadAsync(http, c.Port)));
            for (var i = 0; i < clients.Count; i++)
            {
                clientsFresh[i] ??= after[i] is { } s && s.LastSiteSequence > upSequence ? since.Elapsed.TotalSeconds : null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
        await starting;
        var fresh = workstations.FreshSeconds(up);
        var attempts = workstations.AttemptsSince(up);
        var peak = attempts.GroupBy(a => Math.Floor(a)).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var connections = await ConnectionsSinceAsync(management, up);
        var connectionsPeak = connections.GroupBy(a => Math.Floor(a)).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var allFresh = fresh.Count == workstations.Count ? fresh.Max() : double.NaN;
        var clientTimes = clientsFresh.Where(f => f is not null).Select(f => f!.Value).ToList();
        var clientsAllFresh = clientTimes.Count == clients.Count ? clientTimes.Max() : double.NaN;
        var reloaded = before.Zip(after).Count(p => p.First is { } b && p.Second is { } a && a.Snapshots > b.Snapshots);
        var clientGaps = before.Zip(after).Sum(p => p.First is { } b && p.Second is { } a ? a.Gaps - b.Gaps : 0);
        Console.WriteLine($"  workstations fresh {fresh.Count} of {workstations.Count}, all within {allFresh:N1} s of the listener (median " +
            $"{(fresh.Count == 0 ? double.NaN : Percentiles.Of(fresh).P50):N1} s); client processes fresh {clientTimes.Count} of {clients.Count}, all within {clientsAllFresh:N1} s; " +
            $"workstation attempts {attempts.Count} (peak {peak}/s), connections on the node since {connections.Count} (peak {connectionsPeak}/s); " +
            $"{reloaded} client processes reloaded a snapshot; load average {Report.LoadAverage():N1}");
        report.Add(Group, $"{name}: workstations fresh again", fresh.Count, "workstations");
        report.Add(Group, $"{name}: all workstations fresh, after the broker listens", allFresh, "s");
        report.Add(Group, $"{name}: median workstation fresh, after the broker listens", fresh.Count == 0 ? double.NaN : Percentiles.Of(fresh).P50, "s");
        report.Add(Group, $"{name}: client processes fresh again", clientTimes.Count, "processes");
        report.Add(Group, $"{name}: all client processes fresh, after the broker listens", clientsAllFresh, "s");
        report.Add(Group, $"{name}: client processes that reloaded a snapshot", reloaded, "processes");
        report.Add(Group, $"{name}: client processes' gaps in the restart", clientGaps, "gaps");
        report.Add(Group, $"{name}: workstations' gaps after the restart", workstations.Gaps, "gaps");
        report.Add(Group, $"{name}: browser resets in the restart (readers)", readers.Sum(r => r.Resets) - resetsBefore, "resets");
        report.Add(Group, $"{name}: workstation connection attempts after the broker listens", attempts.Count, "attempts");
        report.Add(Group, $"{name}: peak workstation connection attempts in one second", peak, "attempts");
        report.Add(Group, $"{name}: connections opened on the site node after it listens (all: workstations, clients, distributor)", connections.Count, "connections");
        report.Add(Group, $"{name}: peak connections opened in one second", connectionsPeak, "connections");
        return new Recovery(allFresh, clientsAllFresh, attempts.Count, peak);
    }

    /// <summary>Each figure against the goal: a line on the console and a figure (met = 1) in the report.</summary>
    private static void Verdicts(Report report, Window window, Recovery recovery, int workstations)
    {
        void Verdict(string goal, string measured, bool met)
        {
            Console.WriteLine($"  VERDICT {goal}: {measured}: {(met ? "met" : "NOT met")}");
            report.Add(Group, $"verdict: {goal} ({measured})", met ? 1 : 0, "met=1");
        }
        var p99 = FreshnessGoal.TotalMilliseconds;
        Verdict($"workstations' freshness p99 < {p99:N0} ms", $"{window.WorkstationP99:N0} ms", window.WorkstationP99 < p99);
        Verdict($"browsers' freshness p99 < {p99:N0} ms", $"{window.BrowserP99:N0} ms", window.BrowserP99 < p99);
        Verdict("no gaps at the workstations", $"{window.Gaps} gaps", window.Gaps == 0);
        Verdict("client processes' memory flat with 10 % of browsers stalled (< 10 % growth over the window, all alive)",
            $"largest growth {window.RssGrowth * 100:N1} %{(window.ClientsAlive ? "" : ", a process exited")}", window.RssGrowth < 0.10 && window.ClientsAlive);
        var slowest = Math.Max(recovery.Workstations, recovery.Clients);
        Verdict($"after a broker restart every workstation and client process fresh within {RecoveryGoal.TotalSeconds:N0} s",
            $"{recovery.Workstations:N1} s (workstations), {recovery.Clients:N1} s (client processes)", slowest < RecoveryGoal.TotalSeconds);
        // no storm: about one attempt per workstation, spread out (no second takes more than half of them)
        Verdict("no reconnect storm (at most 2 attempts per workstation, no second with more than half of them)",
            $"{recovery.Attempts} attempts by {workstations} workstations, peak {recovery.PeakAttempts} in one second",
            recovery.Attempts <= 2 * workstations && recovery.PeakAttempts <= Math.Max(1, workstations / 2));
    }

    /// <summary>Seconds from <paramref name="up"/> to each connection's <c>connected_at</c> on the node (the management API's list lags: polled until it settles, at most 30 s).</summary>
    private static async Task<List<double>> ConnectionsSinceAsync(HttpClient management, DateTimeOffset up)
    {
        var polling = Stopwatch.StartNew();
        List<double> last = [];
        while (polling.Elapsed < TimeSpan.FromSeconds(30))
        {
            var connections = await management.GetFromJsonAsync<JsonElement>("connections?columns=connected_at");
            List<double> now = [.. connections.EnumerateArray().Select(c => (DateTimeOffset.FromUnixTimeMilliseconds(c.GetProperty("connected_at").GetInt64()) - up).TotalSeconds)
                .Where(s => s >= 0).Order()];
            if (now.Count == last.Count && now.Count > 0)
            {
                return now;
            }
            last = now;
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        return last;
    }

    private static HttpClient Management(FanoutNode node)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{node.Port + 10000}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("guest:guest")));
        return http;
    }

    /// <summary>A host's broker section (environment form) on the private node, as its guest user.</summary>
    private static Dictionary<string, string> Broker(FanoutNode node, string section) => new()
    {
        [$"{section}__Host"] = "127.0.0.1",
        [$"{section}__Port"] = node.Port.ToString(CultureInfo.InvariantCulture),
        [$"{section}__Username"] = "guest",
        [$"{section}__Password"] = "guest",
    };

    private static double AvailableGiB() =>
        File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is var kb ? double.Parse(kb, CultureInfo.InvariantCulture) / 1_048_576 : double.NaN;

    /// <summary>Ends the run (its processes are killed as it unwinds) when less than 3 GB is left: the kernel would kill the biggest process, perhaps another's.</summary>
    private static void CheckMemory(string when)
    {
        if (AvailableGiB() is var available && available < MinimumAvailableGiB)
        {
            throw new InvalidOperationException($"goal: only {available:N1} GiB of memory available {when} (at least {MinimumAvailableGiB} needed): stopped; run a smaller size");
        }
    }
}
