using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>
/// `rtd-lab demo`: the whole system on this machine. Starts the central controller, a distributor and a client per site as
/// separate processes, loads a contact center (<see cref="DemoCenter"/>: --agents over --sites) in one bulk step through
/// POST /api/config/batch, keeps making small configuration changes while the simulation produces live statistics,
/// and at the end prints per site what reached the replica and what reached the client.
/// </summary>
internal static partial class Demo
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    /// <summary>The ports docker-compose.yml publishes too: central 5080, distributors 5081.., clients 5090..</summary>
    private static Uri CentralUrl => new("http://127.0.0.1:5080");

    private static Uri DistributorUrl(int site) => new($"http://127.0.0.1:{5081 + site}");

    private static Uri ClientUrl(int site) => new($"http://127.0.0.1:{5090 + site}");

    public static async Task<int> RunAsync(Options options)
    {
        var duration = options.Duration("duration");
        var sites = Sites(options["sites"]);
        var agents = options["agents"] is { } a ? int.TryParse(a, out var n) && n >= sites.Length && n <= 100_000 ? n
            : throw new UsageException($"--agents is '{a}': use a whole number from the number of sites to 100000") : DemoCenter.DefaultAgents;
        var env = new Dictionary<string, string>
        {
            ["RabbitMq__Host"] = Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
            ["RabbitMq__Port"] = Env("RTD_RABBITMQ_PORT", "5672"),
            ["PGPASSWORD"] = Env("RTD_POSTGRES_PASSWORD", "local-demo-rtd"),
        };
        var pgUser = Env("RTD_POSTGRES_USER", "rtd");
        var pgPort = Env("RTD_POSTGRES_PORT", "5432");
        string Db(string name) => $"Host=127.0.0.1;Port={pgPort};Database={name};Username={pgUser}";
        var logs = Path.Combine(Environment.CurrentDirectory, ".rtd", "logs");
        var adminKey = AdminApiClient.KeyOrLocalDemo();
        // a host left running by a demo that was killed holds its port: say so before anything is reset or started
        PortHolders.EnsureFree([(CentralUrl.Port, "the central controller's"),
            .. sites.SelectMany((site, i) => new[] { (DistributorUrl(i).Port, $"{site}'s distributor's"), (ClientUrl(i).Port, $"{site}'s client's") })]);

        // infra/demo.sh --topology sites: this site runs its own broker node and PostgreSQL instance, its center link through `rtd-lab wan proxy`
        var own = Environment.GetEnvironmentVariable("RTD_SITE_STACK") is { Length: > 0 } named && sites.Contains(named) ? named : null;
        string InstanceDb(string name) => $"Host=127.0.0.1;Port={Env("RTD_SITE_POSTGRES_PORT", "5440")};Database={name};Username={pgUser}";
        string ReplicaOf(string site) => site == own ? InstanceDb(ReplicaDb(site)) : Db(ReplicaDb(site));
        await ResetDemoDatabasesAsync(Db("postgres"), env["PGPASSWORD"], ["rtd_demo_central", .. sites.Where(s => s != own).Select(ReplicaDb)]);
        if (own is not null)
        {
            await ResetDemoDatabasesAsync(InstanceDb("postgres"), env["PGPASSWORD"], [ReplicaDb(own)]);
        }
        await ClearCentralSiteQueuesAsync(env["RabbitMq__Host"]);

        var hosts = new List<HostProcess>();
        var gateways = new List<HostProcess>();
        using var stop = new CancellationTokenSource();
        // Ctrl-C, kill (SIGTERM) and a closed terminal (SIGHUP) all stop every child below before the demo exits
        using var signals = new StopSignals(stop);
        try
        {
            // the center first: a distributor's first start loads the center's configuration snapshot
            // the activity comes from the peripheral gateways started below
            var central = HostProcess.Start("central", "RealTimeDistributor.Central", CentralUrl, logs,
                new CentralHostSettings(Db("rtd_demo_central")) { RealTimeSource = "gateways" }
                    .AddToEnvironment(new(AsRole(env, "controller", null).Concat(AdminApiClient.CenterSettings("demo", adminKey)))));
            hosts.Add(central);
            await HostProcess.WaitHealthyAsync([central], stop.Token);
            for (var i = 0; i < sites.Length; i++)
            {
                var site = sites[i];
                var distributor = new DistributorHostSettings(site, ReplicaOf(site)).AddToEnvironment(new(AsRole(env, "distributor", site)));
                var client = new ClientHostSettings(site, DemoWorkstation).AddToEnvironment(new(AsRole(env, "workstation", site))
                {
                    ["RabbitMq__Username"] = BrokerUsers.Workstation(site, DemoWorkstation),
                });
                if (site == own)
                {
                    distributor["RabbitMq__Port"] = Env("RTD_WAN_PORT", "5719");
                    distributor["SiteRabbitMq__Host"] = "127.0.0.1";
                    distributor["SiteRabbitMq__Port"] = Env("RTD_SITE_RABBITMQ_PORT", "5710");
                    distributor["SiteRabbitMq__Username"] = distributor["RabbitMq__Username"];
                    distributor["SiteRabbitMq__Password"] = distributor["RabbitMq__Password"];
                    client["RabbitMq__Port"] = Env("RTD_SITE_RABBITMQ_PORT", "5710");
                }
                hosts.Add(HostProcess.Start($"distributor-{site}", "RealTimeDistributor.Distributor", DistributorUrl(i), logs, distributor));
                hosts.Add(HostProcess.Start($"client-{site}", "RealTimeDistributor.Client", ClientUrl(i), logs, client));
            }
            await HostProcess.WaitHealthyAsync(hosts, stop.Token);

            using var http = AdminApiClient.Create(central.Url, TimeSpan.FromMinutes(5), adminKey);
            var center = DemoCenter.Build(agents, sites.Length);
            var loaded = await LoadCenterAsync(http, center, stop.Token);
            PrintWhereToLook(sites, logs, duration, center, loaded);
            // one simulated peripheral gateway per ACD (peripheral s for site s), each its own process and broker user
            foreach (var peripheral in center.OfType<Peripheral>())
            {
                gateways.Add(HostProcess.StartSelf($"gateway-{peripheral.Id}", ["simulate", "--peripheral", $"{peripheral.Id}", "--central", central.Url.ToString()],
                    logs, Gateway(peripheral.Id, adminKey)));
            }
            if (own is not null)
            {
                var sitePort = int.Parse(Env("RTD_SITE_RABBITMQ_PORT", "5710"), System.Globalization.CultureInfo.InvariantCulture);
                Console.WriteLine($"""
                      Site {own} runs its own stack (docs/deployment.md):
                        its broker's management UI: http://127.0.0.1:{sitePort + 10000}  (the central broker's: http://127.0.0.1:15672)
                        its replica:                PostgreSQL 127.0.0.1:{Env("RTD_SITE_POSTGRES_PORT", "5440")}
                        its WAN link to the center: 127.0.0.1:{Env("RTD_WAN_PORT", "5719")}; cut it: rtd-lab wan cut {own}, restore it: rtd-lab wan restore {own}
                          (its wallboard then says "center unreachable since ...", rtd status names the link)

                    """);
            }

            // the demo runs until its duration, Ctrl-C or a process stops (it used to flip a call type's threshold every 2 s:
            // a supervisor does not, and the service level of that call type then meant nothing)
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
            var deadline = duration is { } d ? DateTimeOffset.UtcNow + d : DateTimeOffset.MaxValue;
            while (DateTimeOffset.UtcNow < deadline && !stop.IsCancellationRequested && hosts.All(h => !h.HasExited))
            {
                await timer.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
            }
            if (signals.Received is { } signal)
            {
                // no summary: a terminal's Ctrl-C or a group kill reached the hosts too
                Console.WriteLine($"{signal}: stopping the demo processes.");
                return 0;
            }
            if (hosts.FirstOrDefault(h => h.HasExited) is { } dead)
            {
                Console.Error.WriteLine($"{dead.Name} stopped unexpectedly; see {Path.Combine(logs, dead.Name + ".log")}");
            }
            // let the last changes drain before reading the counters
            await Task.Delay(TimeSpan.FromSeconds(3));
            await PrintSummaryAsync(central, hosts, sites, center.Count);
            return hosts.Any(h => h.HasExited) ? 1 : 0;
        }
        finally
        {
            foreach (var host in gateways.Concat(hosts))
            {
                await host.DisposeAsync();
            }
            Console.WriteLine("Stopped the demo processes. RabbitMQ and PostgreSQL stay up: see README (Stopping the services).");
        }
    }

    /// <summary>--sites: a count (4: site-a .. site-d) or names (site-a,site-b); default RTD_SITES, else site-a,site-b.</summary>
    private static string[] Sites(string? option)
    {
        var raw = option ?? Env("RTD_SITES", "site-a site-b").Replace(' ', ',');
        if (int.TryParse(raw, out var count))
        {
            return count is >= 1 and <= 50 ? DemoCenter.SiteNames(count) : throw new UsageException($"--sites is '{raw}': use 1 to 50, or site names");
        }
        return raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    /// <summary>The whole center in batches of <see cref="ConfigImport.DefaultBatchSize"/> (one transaction each, parents first).</summary>
    internal static async Task<TimeSpan> LoadCenterAsync(HttpClient http, List<ConfigRow> center, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        var changes = center.Select(row =>
        {
            var type = row.GetType();
            var json = ConfigFiles.Canonical(type, JsonSerializer.SerializeToElement(row, type, Json.Options));
            return new PlannedRow(new FileRow(ConfigTables.Of(type).Name, row.Id, Delete: false, json), RowChange.New);
        }).ToList();
        await ConfigImport.ApplyAsync(http, changes, ConfigImport.DefaultBatchSize, TextWriter.Null, cancellationToken);
        return TimeProvider.System.GetElapsedTime(started);
    }

    /// <summary>
    /// Each process connects as its role's broker user (infra/rabbitmq/roles.conf: rtd-controller, rtd-{site}-distributor,
    /// a workstation's own rtd-{site}-ws-{workstation}), with the password infra/rabbitmq/apply-roles.sh gave it: RTD_RABBITMQ_{ROLE}_PASSWORD_{SITE},
    /// else RTD_RABBITMQ_{ROLE}_PASSWORD, else the local-demo default.
    /// </summary>
    private static Dictionary<string, string> AsRole(Dictionary<string, string> env, string role, string? site)
    {
        var variable = $"RTD_RABBITMQ_{role.ToUpperInvariant()}_PASSWORD";
        var password = site is not null && Environment.GetEnvironmentVariable($"{variable}_{site.ToUpperInvariant().Replace('-', '_')}") is { Length: > 0 } own
            ? own
            : Env(variable, $"local-demo-{role}");
        return new Dictionary<string, string>(env)
        {
            ["RabbitMq__Username"] = site is null ? $"rtd-{role}" : $"rtd-{site}-{role}",
            ["RabbitMq__Password"] = password,
        };
    }

    /// <summary>Each site's demo client process: a workstation whose broker credential infra/demo.sh issues (workstation.sh add).</summary>
    private const string DemoWorkstation = "ws1";

    /// <summary>`rtd-lab simulate`'s environment for peripheral <paramref name="id"/>: its gateway user rtd-peripheral-{id}-gateway (roles.conf).</summary>
    private static Dictionary<string, string> Gateway(long id, string adminKey) => new()
    {
        ["RTD_RABBITMQ_HOST"] = Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
        ["RTD_RABBITMQ_PORT"] = Env("RTD_RABBITMQ_PORT", "5672"),
        ["RTD_RABBITMQ_USER"] = $"rtd-peripheral-{id}-gateway",
        ["RTD_RABBITMQ_PASSWORD"] = Environment.GetEnvironmentVariable($"RTD_RABBITMQ_GATEWAY_PASSWORD_{id}") is { Length: > 0 } own ? own
            : Env("RTD_RABBITMQ_GATEWAY_PASSWORD", "local-demo-gateway"),
        ["RTD_ADMIN_KEY"] = adminKey,
    };

    private static string ReplicaDb(string site) => $"rtd_demo_{site.Replace('-', '_')}";

    internal static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    private static async Task ResetDemoDatabasesAsync(string connectionString, string password, IEnumerable<string> databases)
    {
        await using var connection = new NpgsqlConnection($"{connectionString};Password={password}");
        await connection.OpenAsync();
        foreach (var database in databases)
        {
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// The sites' queues of the central vhost from an earlier demo: they hold the stream of a center whose database was just
    /// reset (its sequences, replayed into a new replica, would be parked as never committed), or fill for a site this demo
    /// does not run. Deleted, with their parking queues, through the management API as the administrator
    /// (RTD_RABBITMQ_ADMIN_USER / _PASSWORD); each distributor declares its own again. Not reached: said, and the demo goes on.
    /// </summary>
    private static async Task ClearCentralSiteQueuesAsync(string host)
    {
        var management = new Uri($"http://{host}:15672/api/");
        using var http = new HttpClient { BaseAddress = management, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            $"{Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin")}:{Env("RTD_RABBITMQ_ADMIN_PASSWORD", "local-demo-admin")}")));
        var vhost = Uri.EscapeDataString(Topology.Central.VirtualHost);
        try
        {
            var queues = await http.GetFromJsonAsync<JsonElement>($"queues/{vhost}?columns=name,messages");
            // "messages" is absent until the management API has the queue's first statistics (a few seconds after it was declared)
            foreach (var queue in queues.EnumerateArray().Select(q => (Name: q.GetProperty("name").GetString()!,
                Messages: q.TryGetProperty("messages", out var m) ? $"{m.GetInt64()} messages" : "messages not counted yet"))
                .Where(q => CentralSiteQueue().IsMatch(q.Name)))
            {
                (await http.DeleteAsync($"queues/{vhost}/{Uri.EscapeDataString(queue.Name)}")).EnsureSuccessStatusCode();
                Console.WriteLine($"rtd-lab demo: deleted {Topology.Central.VirtualHost}/{queue.Name} of an earlier demo ({queue.Messages})");
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            await Console.Error.WriteLineAsync($"rtd-lab demo: could not clear the sites' queues of an earlier demo in {Topology.Central.VirtualHost} "
                + $"through {management} ({exception.Message}); rtd status names what they hold");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^rtd\.[a-z0-9-]+\.distributor\.(config|realtime)(_error|_skipped)?$")]
    private static partial System.Text.RegularExpressions.Regex CentralSiteQueue();

    private static void PrintWhereToLook(string[] sites, string logs, TimeSpan? duration, List<ConfigRow> center, TimeSpan loaded)
    {
        var peripherals = center.OfType<Peripheral>().ToList();
        Console.WriteLine($"""

            RealTimeDistributor demo is running{(duration is { } d ? $" for {d.TotalSeconds:0} s" : "; Ctrl-C stops it")}.
              The center: {center.OfType<Agent>().Count():N0} agents in {center.OfType<SkillGroup>().Count()} skill groups, {center.OfType<CallType>().Count()} call types, one ACD per site;
                {center.Count:N0} configuration rows loaded in one bulk step (POST /api/config/batch) in {loaded.TotalSeconds:0.0} s.
                Calls arrive at RealTime:Load % (default 100) of what the staffing can handle: SL typically 70-90 % (docs/statistics.md).

              Wallboards (open in a browser; /diagnostics for the raw tables):
            """);
        for (var i = 0; i < sites.Length; i++)
        {
            Console.WriteLine($"    {sites[i],-8} {ClientUrl(i),-24} {peripherals[i].Name,-14} distributor {DistributorUrl(i)}stats");
        }
        Console.WriteLine($"""
              Terminal view:          rtd client --site {sites[0]} --workstation terminal
              Central admin API:      {CentralUrl}api/config/agent   (rtd config list agent)
              RabbitMQ management UI: http://127.0.0.1:15672  read-only login {Env("RTD_RABBITMQ_OPERATOR_USER", "rtd-operator")}, password in RTD_RABBITMQ_OPERATOR_PASSWORD (local default local-demo-operator)
              Logs of every process:  {logs}

              The summary at the end, per site:
                config  center   configuration changes the center published (the bulk load, and any edit)
                        replica  changes the site's distributor applied to its replica database
                        client   configuration rows the site's client holds (from its snapshot and the stream) of the rows at the center
                rt      center   real-time rows the center published (every site gets them all)
                        replica  rows the distributor wrote to the replica (and published to the site); skipped: rows it did not write,
                                 that version (unchanged: most of every full refresh) or a newer one (stale) being there, so replica + skipped = center
                        client   rows the client loaded from its snapshot + rows it took from the stream after it
                stream  seq      the last site sequence the distributor published / the client applied; gaps: sequences the client
                                 missed and healed with a new snapshot (equal sequences and 0 gaps: nothing was lost)

            """);
    }

    private static async Task PrintSummaryAsync(HostProcess central, List<HostProcess> hosts, string[] sites, int centerRows)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var c = await http.GetFromJsonAsync<JsonElement>(new Uri(central.Url, "/stats"), Web);
        Console.WriteLine();
        Console.WriteLine("Summary     ------- config -------------    -------------- real time --------------------    ---- stream ----");
        Console.WriteLine("site         center replica  client          center   replica  skipped  client snap+stream    seq dist/client gaps");
        foreach (var site in sites)
        {
            var d = await http.GetFromJsonAsync<JsonElement>(new Uri(hosts.Single(h => h.Name == $"distributor-{site}").Url, "/stats"), Web);
            var clientUrl = hosts.Single(h => h.Name == $"client-{site}").Url;
            var k = await http.GetFromJsonAsync<JsonElement>(new Uri(clientUrl, "/stats"), Web);
            var view = await http.GetFromJsonAsync<JsonElement>(new Uri(clientUrl, "/view"), Web);
            var configRows = view.EnumerateArray().Count(r => r.GetProperty("kind").GetString() == SiteUpdate.ConfigKind);
            long L(JsonElement e, string name) => e.GetProperty(name).GetInt64();
            Console.WriteLine($"{site,-10} {L(c, "changesPublished"),8:N0} {L(d, "configApplied"),7:N0} {$"{configRows:N0}/{centerRows:N0}",11}"
                + $"  {L(c, "realTimeRowsPublished"),10:N0} {L(d, "realTimeRowsApplied"),9:N0} {L(d, "realTimeRowsStale") + L(d, "realTimeRowsUnchanged"),8:N0}"
                + $"  {$"{L(k, "snapshotRows"):N0}+{L(k, "realTimeRows"):N0}",18}"
                + $"  {$"{L(d, "siteSequence"):N0}/{L(k, "lastSiteSequence"):N0}",15} {L(k, "gaps"),4}");
        }
    }
}
