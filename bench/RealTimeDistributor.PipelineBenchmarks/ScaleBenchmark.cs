using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// A contact center of real size, live: the central controller runs its statistics engine on a seeded simulation of
/// N agents (two skill groups each, N/20 skill groups, N/40 call types) at a call rate, 1 s interval, full refresh every
/// 30 intervals; one site's distributor and one client workstation run as processes of their own (so their CPU and
/// memory are read from /proc), and the site's workstations are the benchmark's own: one in-process client (its view's
/// freshness) plus W raw AMQP workstation queues bound to the site's real-time exchange with <c>#</c>, as a site's
/// supervisors' desktops would be. Freshness of a row = the time it reached the view (or a workstation queue's
/// consumer) minus its central interval time (<see cref="RealTimeRow.UpdatedAt"/>), both read from this machine's clock,
/// counted once per value (version): a row the view holds at its version (a snapshot raced with its message) is no new value.
/// A measurement window always holds a full refresh. Then the call rate is raised until freshness p99 passes the goal
/// (the knee).
/// </summary>
public static class ScaleBenchmark
{
    private const string Group = "scale: real-time freshness, central interval -> workstation";
    private static readonly TimeSpan Goal = TimeSpan.FromSeconds(1.5);

    /// <param name="Workstations">Workstation queues of the first measurement and the knee (besides the in-process view).</param>
    /// <param name="ManyWorkstations">Then, back at <paramref name="CallsPerSecond"/>, this many workstation queues (0: skip).</param>
    public sealed record Options(int Agents, int CallsPerSecond, int Workstations, int ManyWorkstations, TimeSpan Window, int FullRefreshEvery, int[] KneeRates);

    public static async Task RunAsync(Report report, Options options)
    {
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("scale");
        var (distributor, central) = await StartCenterAndSiteAsync(system, site, options.Agents, options.CallsPerSecond, options.FullRefreshEvery);
        var wallboard = system.StartProcess("RealTimeDistributor.Client", new()
        {
            ["Client__Site"] = site,
            ["Client__Workstation"] = "wallboard",
            ["Serilog__MinimumLevel__Default"] = "Error",
        });
        var quiet = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" };
        var view = (await system.StartClientAsync(site, "bench-view", quiet)).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromMinutes(2));

        await using var workstations = new Workstations(site);
        await workstations.AddAsync(options.Workstations);
        var processes = new Dictionary<string, int> { ["central"] = central.Id, ["distributor"] = distributor.Id, ["client process"] = wallboard.Id };
        string Name(int rate) => $"{options.Agents:N0} agents, {rate} calls/s, {workstations.Count} workstation queue{(workstations.Count == 1 ? "" : "s")}";
        await MeasureAsync(report, Name(options.CallsPerSecond), view, workstations, processes, options.Window);

        var rate = options.CallsPerSecond;
        foreach (var next in options.KneeRates)
        {
            rate = next;
            processes["central"] = (central = await RestartCenterAsync(system, central, rate, options.FullRefreshEvery)).Id;
            if (await MeasureAsync(report, Name(rate), view, workstations, processes, options.Window) > Goal.TotalMilliseconds)
            {
                report.Add(Group, $"{options.Agents:N0} agents: knee (first call rate whose view p99 passes {Goal.TotalSeconds} s)", rate, "calls/s");
                break;
            }
        }
        if (options.ManyWorkstations > workstations.Count)
        {
            if (rate != options.CallsPerSecond)
            {
                processes["central"] = (central = await RestartCenterAsync(system, central, options.CallsPerSecond, options.FullRefreshEvery)).Id;
            }
            await workstations.AddAsync(options.ManyWorkstations - workstations.Count);
            await MeasureAsync(report, Name(options.CallsPerSecond), view, workstations, processes, options.Window);
        }
    }

    /// <summary>
    /// Seeds a center of <paramref name="agents"/> agents, then runs its central controller (simulating calls) and the
    /// site's distributor as processes of their own, and waits until the site has applied the whole configuration.
    /// </summary>
    internal static async Task<(Process Distributor, Process Central)> StartCenterAndSiteAsync(RtdSystem system, string site, int agents,
        int callsPerSecond, int fullRefreshEvery, string? distributorUrls = null, int teamSize = 0, Dictionary<string, string>? distributorEnvironment = null)
    {
        var center = CenterSize.Of(agents) with { TeamSize = teamSize };
        Console.WriteLine($"seeding a center of {center}");
        await center.SeedAsync(system);
        var total = await CentralBacklog.QueryCentralAsync<long>(system.CentralDatabase, "SELECT last_value FROM config_sequence");
        // the engine reads its configuration when it starts: run the center as a process of its own, seeded first
        await system.StopAsync(system.Central);

        await system.EnsureSiteAsync(site);
        var environment = new Dictionary<string, string>(distributorEnvironment ?? []) { ["Serilog__MinimumLevel__Default"] = "Error" };
        if (distributorUrls is not null)
        {
            environment["Urls"] = distributorUrls;
        }
        var distributor = system.StartDistributorProcess(site, "a", environment);
        var central = StartCenter(system, callsPerSecond, fullRefreshEvery);
        var applying = Stopwatch.StartNew();
        await system.WaitAppliedAsync(site, total, TimeSpan.FromMinutes(10));
        Console.WriteLine($"  configuration of {total:N0} changes applied at the site in {applying.Elapsed.TotalSeconds:N1} s");
        return (distributor, central);
    }

    private static async Task<Process> RestartCenterAsync(RtdSystem system, Process central, int callsPerSecond, int fullRefreshEvery)
    {
        central.Kill(entireProcessTree: true);
        await central.WaitForExitAsync();
        return StartCenter(system, callsPerSecond, fullRefreshEvery);
    }

    private static Process StartCenter(RtdSystem system, int callsPerSecond, int fullRefreshEvery) => system.StartProcess("RealTimeDistributor.Central", new()
    {
        ["ConnectionStrings__Central"] = TestSettings.ConnectionString(system.CentralDatabase),
        ["RealTime__Simulate"] = "true",
        ["RealTime__CallsPerSecond"] = callsPerSecond.ToString(CultureInfo.InvariantCulture),
        ["RealTime__Interval"] = "00:00:01",
        ["RealTime__FullRefreshEvery"] = fullRefreshEvery.ToString(CultureInfo.InvariantCulture),
        ["Serilog__MinimumLevel__Default"] = "Error",
    });

    /// <returns>The view's freshness p99, in ms.</returns>
    private static async Task<double> MeasureAsync(Report report, string name, ClientView view, Workstations workstations,
        IReadOnlyDictionary<string, int> processes, TimeSpan window)
    {
        Console.WriteLine($"scale: {name} for {window.TotalSeconds:N0} s");
        // settle: the first interval of a (re)started center is a full refresh of rows whose versions the site may hold
        await Task.Delay(TimeSpan.FromSeconds(5));
        var viewSamples = new List<double>();
        var viewSeen = new HashSet<long>();
        var from = DateTimeOffset.UtcNow;
        void OnChanged(ViewRow row)
        {
            // a value counts once, when it first reaches the view
            if (row.Kind == SiteUpdate.RealTimeKind && row.UpdatedAt >= from)
            {
                var ms = (DateTimeOffset.UtcNow - row.UpdatedAt).TotalMilliseconds;
                lock (viewSamples)
                {
                    if (viewSeen.Add(row.Version))
                    {
                        viewSamples.Add(ms);
                    }
                }
            }
        }
        view.Changed += OnChanged;
        workstations.Begin(from);
        var before = processes.ToDictionary(p => p.Key, p => ProcessUsage.Read(p.Value));
        var broker = ProcessUsage.Find("beam.smp");
        var database = ProcessUsage.All("postgres");
        var brokerBefore = ProcessUsage.Read(broker);
        var databaseBefore = ProcessUsage.Sum(database);
        var self = ProcessUsage.Read(Environment.ProcessId);
        await Task.Delay(window);
        view.Changed -= OnChanged;
        var queues = workstations.End();

        double[] samples;
        lock (viewSamples)
        {
            samples = [.. viewSamples];
        }
        var atView = Percentiles.Of(samples);
        Console.WriteLine($"  view          {atView}");
        report.Add(Group, $"{name}: rows at the view", samples.Length / window.TotalSeconds, "rows/s");
        foreach (var (label, value) in atView.Named())
        {
            report.Add(Group, $"{name}: view {label}", value, "ms");
        }
        if (queues.Count > 0)
        {
            var all = Percentiles.Of(queues.SelectMany(q => q));
            var worst = queues.Select(q => Percentiles.Of(q).P99).Max();
            Console.WriteLine($"  workstations  {all}; worst queue p99 {worst:N0} ms");
            report.Add(Group, $"{name}: {queues.Count} workstation queues p50", all.P50, "ms");
            report.Add(Group, $"{name}: {queues.Count} workstation queues p99", all.P99, "ms");
            report.Add(Group, $"{name}: worst workstation queue p99", worst, "ms");
        }
        foreach (var (process, pid) in processes)
        {
            AddUsage(report, name, process, before[process], ProcessUsage.Read(pid), window);
        }
        AddUsage(report, name, "broker (beam.smp)", brokerBefore, ProcessUsage.Read(broker), window);
        AddUsage(report, name, "PostgreSQL (all backends)", databaseBefore, ProcessUsage.Sum(database), window);
        AddUsage(report, name, "benchmark process (view + workstation queues)", self, ProcessUsage.Read(Environment.ProcessId), window);
        return atView.P99;
    }

    private static void AddUsage(Report report, string name, string process, ProcessUsage before, ProcessUsage after, TimeSpan window)
    {
        report.Add(Group, $"{name}: {process} CPU", (after.CpuSeconds - before.CpuSeconds) / window.TotalSeconds * 100, "% of a core");
        report.Add(Group, $"{name}: {process} memory (RSS)", after.RssMegabytes, "MB");
    }

    /// <summary>The configuration of a center of a given size, written straight into the central tables and change log.</summary>
    internal sealed record CenterSize(int Agents, int SkillGroups, int CallTypes)
    {
        public static CenterSize Of(int agents) => new(agents, Math.Max(1, agents / 20), Math.Max(1, agents / 40));

        /// <summary>Agents per team (agent a in team 1 + (a - 1) / TeamSize, "Team N"); 0: no teams.</summary>
        public int TeamSize { get; init; }

        public int Teams => TeamSize == 0 ? 0 : (Agents + TeamSize - 1) / TeamSize;

        public override string ToString() => $"{Agents:N0} agents, {SkillGroups:N0} skill groups, {Agents * 2:N0} memberships, {CallTypes:N0} call types" +
            (Teams == 0 ? "" : $", {Teams:N0} teams of {TeamSize}");

        public async Task SeedAsync(RtdSystem system)
        {
            if (!(await system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).IsSuccessStatusCode)
            {
                throw new InvalidOperationException("seed failed");
            }
            await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(system.CentralDatabase));
            await connection.OpenAsync();
            // one statement per table: rows from generate_series, each with the next sequence and its change-log row
            await InsertAsync(connection, "skillgroup", SkillGroups, "name, peripheral_id", "'Skill group ' || g, 1",
                "'name', 'Skill group ' || g, 'peripheralId', 1");
            await InsertAsync(connection, "agent", Agents, "name, peripheral_id", "'Agent ' || g, 1", "'name', 'Agent ' || g, 'peripheralId', 1");
            await InsertAsync(connection, "skillgroupmember", Agents * 2, "agent_id, skill_group_id",
                $"1 + (g - 1) / 2, 1 + ((g - 1) / 2 + (g - 1) % 2 * 7) % {SkillGroups}",
                $"'agentId', 1 + (g - 1) / 2, 'skillGroupId', 1 + ((g - 1) / 2 + (g - 1) % 2 * 7) % {SkillGroups}");
            await InsertAsync(connection, "calltype", CallTypes, "name, service_level_seconds", "'Call type ' || g, 20",
                "'name', 'Call type ' || g, 'serviceLevelSeconds', 20");
            if (Teams > 0)
            {
                await InsertAsync(connection, "team", Teams, "name, peripheral_id", "'Team ' || g, 1", "'name', 'Team ' || g, 'peripheralId', 1");
                await InsertAsync(connection, "teammember", Agents, "team_id, agent_id", $"1 + (g - 1) / {TeamSize}, g",
                    $"'teamId', 1 + (g - 1) / {TeamSize}, 'agentId', g");
            }
        }

        private static async Task InsertAsync(NpgsqlConnection connection, string table, int count, string columns, string values, string json)
        {
            await using var command = new NpgsqlCommand($"""
                BEGIN;
                WITH s AS (SELECT last_value AS base FROM config_sequence WHERE id = 1)
                INSERT INTO {table} (id, {columns}, config_sequence) SELECT g, {values}, s.base + g FROM generate_series(1, @n) g, s;
                WITH s AS (SELECT last_value AS base FROM config_sequence WHERE id = 1)
                INSERT INTO config_change_log (sequence, "table", operation, key, row_json, committed_at)
                SELECT s.base + g, '{table}', 'upsert', g::text, json_build_object('id', g, {json}, 'configSequence', s.base + g)::jsonb, now()
                FROM generate_series(1, @n) g, s;
                UPDATE config_sequence SET last_value = last_value + @n WHERE id = 1;
                COMMIT;
                """, connection);
            command.Parameters.AddWithValue("n", count);
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// A site's workstations as the broker sees them: one queue each, bound to the site's real-time exchange with
    /// <c>#</c>, consumed with acks; each delivery's rows are timed by their <c>updatedAt</c>.
    /// </summary>
    internal sealed class Workstations : IAsyncDisposable
    {
        private readonly string _site;
        private readonly List<IConnection> _connections = [];
        private readonly List<IChannel> _channels = [];
        private readonly List<List<double>> _samples = [];
        private readonly List<HashSet<long>> _seen = [];
        private long _from = long.MaxValue;

        public Workstations(string site) => _site = site;

        public int Count => _channels.Count;

        /// <summary>Adds <paramref name="count"/> workstations, each on a connection of its own, as separate desktops would be.</summary>
        public async Task AddAsync(int count)
        {
            var factory = TestSettings.RabbitConnection(Topology.Site.VirtualHost(_site));
            for (var i = 0; i < count; i++)
            {
                var connection = await factory.CreateConnectionAsync($"rtd bench workstation {Count:000}");
                var channel = await connection.CreateChannelAsync();
                await channel.BasicQosAsync(0, 200, false);
                var queue = Topology.Site.ClientQueue(_site, $"bench-{Count:000}");
                await channel.QueueDeclareAsync(queue, durable: false, exclusive: true, autoDelete: true);
                await channel.QueueBindAsync(queue, Topology.Site.RealTimeExchange(_site), "#");
                var samples = new List<double>();
                var seen = new HashSet<long>();
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += async (_, delivery) =>
                {
                    var now = DateTimeOffset.UtcNow;
                    var from = Interlocked.Read(ref _from);
                    foreach (var (version, updatedAt) in Rows(delivery.Body.Span))
                    {
                        // once per value (versions are unique across the center's tables): a full refresh repeats it
                        if (updatedAt.UtcTicks >= from)
                        {
                            lock (samples)
                            {
                                if (seen.Add(version))
                                {
                                    samples.Add((now - updatedAt).TotalMilliseconds);
                                }
                            }
                        }
                    }
                    await channel.BasicAckAsync(delivery.DeliveryTag, false);
                };
                await channel.BasicConsumeAsync(queue, false, consumer);
                _connections.Add(connection);
                _channels.Add(channel);
                _samples.Add(samples);
                _seen.Add(seen);
            }
        }

        public void Begin(DateTimeOffset from)
        {
            for (var i = 0; i < _samples.Count; i++)
            {
                lock (_samples[i])
                {
                    _samples[i].Clear();
                    _seen[i].Clear();
                }
            }
            Interlocked.Exchange(ref _from, from.UtcTicks);
        }

        public List<double[]> End()
        {
            Interlocked.Exchange(ref _from, long.MaxValue);
            return [.. _samples.Select(s =>
            {
                lock (s)
                {
                    return s.ToArray();
                }
            })];
        }

        /// <summary>
        /// The <c>version</c> and <c>updatedAt</c> of every object of a message that has both, at any depth: its rows'
        /// values and central interval times, whatever the message's shape.
        /// </summary>
        internal static List<(long Version, DateTimeOffset UpdatedAt)> Rows(ReadOnlySpan<byte> body)
        {
            var found = new List<(long, DateTimeOffset)>();
            var open = new Stack<(long? Version, DateTimeOffset? UpdatedAt)>();
            var reader = new Utf8JsonReader(body);
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        open.Push((null, null));
                        break;
                    case JsonTokenType.EndObject:
                        if (open.Pop() is ({ } version, { } updatedAt))
                        {
                            found.Add((version, updatedAt));
                        }
                        break;
                    case JsonTokenType.PropertyName when reader.ValueTextEquals("version"u8) && open.Count > 0:
                        if (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var v))
                        {
                            open.Push(open.Pop() with { Version = v });
                        }
                        break;
                    case JsonTokenType.PropertyName when reader.ValueTextEquals("updatedAt"u8) && open.Count > 0:
                        if (reader.Read() && reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at))
                        {
                            open.Push(open.Pop() with { UpdatedAt = at });
                        }
                        break;
                }
            }
            return found;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in _connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    /// <summary>CPU seconds (user + system) and resident memory of a process, or of several summed, from /proc.</summary>
    internal readonly record struct ProcessUsage(double CpuSeconds, double RssMegabytes)
    {
        private const double TicksPerSecond = 100; // USER_HZ on Linux

        public static ProcessUsage Read(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var cpu = (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
                var rss = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                var kilobytes = rss is null ? 0 : double.Parse(rss.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return new ProcessUsage(cpu, kilobytes / 1024);
            }
            catch (IOException)
            {
                return default; // the process has gone
            }
        }

        public static ProcessUsage Sum(IEnumerable<int> pids) =>
            pids.Select(Read).Aggregate(default(ProcessUsage), (a, b) => new ProcessUsage(a.CpuSeconds + b.CpuSeconds, a.RssMegabytes + b.RssMegabytes));

        public static int Find(string command) => All(command).FirstOrDefault();

        public static List<int> All(string command) =>
            [.. Directory.EnumerateDirectories("/proc").Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
                .Where(pid => pid > 0 && Comm(pid) == command)];

        private static string Comm(int pid)
        {
            try
            {
                return File.ReadAllText($"/proc/{pid}/comm", Encoding.ASCII).Trim();
            }
            catch (IOException)
            {
                return "";
            }
        }
    }
}
