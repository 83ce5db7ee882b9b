using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd demo`: the whole system on this machine. Starts the central controller, a distributor and a client per site as
/// separate processes, seeds a small contact center, keeps making configuration changes while the simulation produces
/// live statistics, and at the end prints per site what was published, applied and delivered.
/// </summary>
public static class Demo
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(Options options)
    {
        var duration = options.Duration("duration");
        var sites = (options["sites"] ?? "site-a,site-b").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
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

        await ResetDemoDatabasesAsync(Db("postgres"), env["PGPASSWORD"], ["rtd_demo_central", .. sites.Select(ReplicaDb)]);

        var hosts = new List<HostProcess>();
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            // the center first: a distributor's first start loads the center's configuration snapshot
            var central = HostProcess.Start("central", "RealTimeDistributor.Central", new Uri("http://127.0.0.1:5080"), logs,
                new Dictionary<string, string>(AsRole(env, "controller", null).Concat(AdminApiClient.CenterSettings("demo", adminKey)))
                {
                    ["ConnectionStrings__Central"] = Db("rtd_demo_central"),
                });
            hosts.Add(central);
            await WaitHealthyAsync([central], stop.Token);
            for (var i = 0; i < sites.Length; i++)
            {
                var site = sites[i];
                hosts.Add(HostProcess.Start($"distributor-{site}", "RealTimeDistributor.Distributor", new Uri($"http://127.0.0.1:{5081 + i}"), logs,
                    new Dictionary<string, string>(AsRole(env, "distributor", site)) { ["Distributor__Site"] = site, ["ConnectionStrings__Replica"] = Db(ReplicaDb(site)) }));
                hosts.Add(HostProcess.Start($"client-{site}", "RealTimeDistributor.Client", new Uri($"http://127.0.0.1:{5091 + i}"), logs,
                    new Dictionary<string, string>(AsRole(env, "workstation", site)) { ["Client__Site"] = site, ["Client__Workstation"] = "ws1" }));
            }
            await WaitHealthyAsync(hosts, stop.Token);

            using var http = AdminApiClient.Create(central.Url, key: adminKey);
            await SeedAsync(http, stop.Token);
            PrintWhereToLook(sites, logs, duration);

            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
            var deadline = duration is { } d ? DateTimeOffset.UtcNow + d : DateTimeOffset.MaxValue;
            var round = 0;
            while (DateTimeOffset.UtcNow < deadline && !stop.IsCancellationRequested && hosts.All(h => !h.HasExited))
            {
                await timer.WaitForNextTickAsync(stop.Token).AsTask().ContinueWith(_ => { }, TaskScheduler.Default);
                round++;
                await PutAsync(http, "calltype", 1, new { name = "Support", serviceLevelSeconds = 10 + round % 50 }, CancellationToken.None);
            }
            if (hosts.FirstOrDefault(h => h.HasExited) is { } dead)
            {
                Console.Error.WriteLine($"{dead.Name} stopped unexpectedly; see {Path.Combine(logs, dead.Name + ".log")}");
            }
            // let the last changes drain before reading the counters
            await Task.Delay(TimeSpan.FromSeconds(3));
            await PrintSummaryAsync(central, hosts, sites);
            return hosts.Any(h => h.HasExited) ? 1 : 0;
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
            Console.WriteLine("Stopped the demo processes. RabbitMQ and PostgreSQL stay up: see README (Stopping the services).");
        }
    }

    /// <summary>
    /// Each process connects as its role's broker user (infra/rabbitmq/roles.conf: rtd-controller, rtd-{site}-distributor,
    /// rtd-{site}-workstation), with the password infra/rabbitmq/apply-roles.sh gave it: RTD_RABBITMQ_{ROLE}_PASSWORD_{SITE},
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

    private static string ReplicaDb(string site) => $"rtd_demo_{site.Replace('-', '_')}";

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

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

    private static async Task WaitHealthyAsync(IEnumerable<HostProcess> hosts, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var host in hosts)
        {
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                if (host.HasExited)
                {
                    throw new InvalidOperationException($"{host.Name} exited during start; see .rtd/logs/{host.Name}.log");
                }
                try
                {
                    if ((await http.GetAsync(new Uri(host.Url, "/health"), cancellationToken)).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw new TimeoutException($"{host.Name} did not become healthy at {host.Url}");
                }
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    private static async Task SeedAsync(HttpClient http, CancellationToken cancellationToken)
    {
        await PutAsync(http, "peripheral", 1, new { name = "ACD Madrid", kind = "acd" }, cancellationToken);
        string[] groups = ["Sales", "Support", "Billing"];
        for (var g = 0; g < groups.Length; g++)
        {
            await PutAsync(http, "skillgroup", 10 + g, new { name = groups[g], peripheralId = 1 }, cancellationToken);
        }
        for (var a = 0; a < 12; a++)
        {
            await PutAsync(http, "agent", 100 + a, new { name = $"Agent {a + 1:00}", peripheralId = 1 }, cancellationToken);
            await PutAsync(http, "skillgroupmember", 1000 + a, new { agentId = 100 + a, skillGroupId = 10 + a % groups.Length }, cancellationToken);
        }
        await PutAsync(http, "calltype", 1, new { name = "Support", serviceLevelSeconds = 20 }, cancellationToken);
    }

    private static async Task PutAsync(HttpClient http, string table, long id, object row, CancellationToken cancellationToken)
    {
        // the demo's own edits: the last writer wins (no version named)
        using var response = await http.PutAsJsonAsync($"/api/config/{table}/{id}?force=true", row, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"PUT {table} {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private static void PrintWhereToLook(string[] sites, string logs, TimeSpan? duration)
    {
        Console.WriteLine($"""

            RealTimeDistributor demo is running{(duration is { } d ? $" for {d.TotalSeconds:0} s" : "; Ctrl-C stops it")}.
              RabbitMQ management UI: http://127.0.0.1:15672  (user {Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin")}, password in RTD_RABBITMQ_ADMIN_PASSWORD; local default local-demo-admin)
                vhost rtd-central: exchanges rtd.central.config / rtd.central.realtime, queues rtd.<site>.distributor.*
                vhost rtd-<site>:  exchanges rtd.<site>.config / rtd.<site>.realtime, queue rtd.<site>.client.ws1
              Central admin API:      http://127.0.0.1:5080/api/config/agent   (rtd config list agent)
            """);
        for (var i = 0; i < sites.Length; i++)
        {
            Console.WriteLine($"  {sites[i]}: distributor http://127.0.0.1:{5081 + i}/stats, client view http://127.0.0.1:{5091 + i}/view");
        }
        Console.WriteLine($"  Logs of every process: {logs}");
        Console.WriteLine("  The client prints a line per configuration change and a summary of its live view every 5 s.");
        Console.WriteLine();
    }

    private static async Task PrintSummaryAsync(HostProcess central, List<HostProcess> hosts, string[] sites)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var c = await http.GetFromJsonAsync<JsonElement>(new Uri(central.Url, "/stats"), Web);
        Console.WriteLine();
        Console.WriteLine("Summary                      config changes          real-time rows");
        Console.WriteLine("                        published applied delivered  published applied delivered");
        foreach (var site in sites)
        {
            var d = await http.GetFromJsonAsync<JsonElement>(new Uri(hosts.Single(h => h.Name == $"distributor-{site}").Url, "/stats"), Web);
            var k = await http.GetFromJsonAsync<JsonElement>(new Uri(hosts.Single(h => h.Name == $"client-{site}").Url, "/stats"), Web);
            Console.WriteLine($"{site,-22} {c.GetProperty("changesPublished").GetInt64(),10} {d.GetProperty("configApplied").GetInt64(),7} {k.GetProperty("configChanges").GetInt64(),9}" +
                $"  {c.GetProperty("realTimeRowsPublished").GetInt64(),9} {d.GetProperty("realTimeRowsApplied").GetInt64(),7} {k.GetProperty("realTimeRows").GetInt64(),9}");
        }
    }
}
