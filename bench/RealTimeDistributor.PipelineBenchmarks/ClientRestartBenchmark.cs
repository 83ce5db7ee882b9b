using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 22's recovery with real workstations: a site on a broker node of its own (<see cref="SiteStack"/>, port 5712;
/// never the shared broker), its distributor (in this process) fed 2,000 agent rows a second by the center, and C real
/// client processes (<c>RealTimeDistributor.Client</c>, durable queues, the product's defaults). The site node is
/// stopped, left down 2 s and started again under the running feed. Per client, from its GET /stats: the time from the
/// node's start until it holds a site message committed after the node was up ("fresh": <c>lastSiteSequence</c> above
/// the replica's site sequence at that moment), the snapshots it reloaded and the gaps it found; from the node's
/// management API, when each client's connection came back (how spread the reconnects are).
/// </summary>
public static class ClientRestartBenchmark
{
    private const string Group = "restart-clients: real workstations after a restart of their site broker";
    private static readonly string[] Keys = [.. Enumerable.Range(1, 2_000).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    public static async Task RunAsync(Report report, int clients)
    {
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

        var ports = new List<int>();
        for (var i = 0; i < clients; i++)
        {
            var port = CommandRuns.FreePort();
            var environment = SiteStack.Broker("RabbitMq").ToDictionary(e => e.Key.Replace(":", "__", StringComparison.Ordinal), e => e.Value!);
            environment["Client__Site"] = site;
            environment["Client__Workstation"] = $"restart-{i:00}";
            environment["Urls"] = $"http://127.0.0.1:{port}";
            environment["Serilog__MinimumLevel__Default"] = "Error";
            system.StartProcess("RealTimeDistributor.Client", environment);
            ports.Add(port);
        }
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var started = Stopwatch.StartNew();
        while ((await Task.WhenAll(ports.Select(p => StatsAsync(http, p)))).Any(s => s is not { Snapshots: > 0, LastSiteSequence: > 0 }))
        {
            if (started.Elapsed > TimeSpan.FromMinutes(3))
            {
                throw new TimeoutException($"{clients} client processes did not all load a snapshot and follow the stream in 3 minutes");
            }
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        Console.WriteLine($"restart-clients: {clients} client processes follow the site stream ({started.Elapsed.TotalSeconds:N0} s); restarting the site broker");
        await Task.Delay(TimeSpan.FromSeconds(5));
        var before = await Task.WhenAll(ports.Select(p => StatsAsync(http, p)));

        var restart = Stopwatch.StartNew();
        await SiteStack.RestartNodeAsync(TimeSpan.FromSeconds(2));
        var up = DateTimeOffset.UtcNow;
        var stoppedFor = restart.Elapsed;
        var upSequence = await SiteStack.QueryAsync<long>(replica, "SELECT site_sequence FROM sync_state");
        var fresh = new double?[clients];
        var sinceUp = Stopwatch.StartNew();
        Stats?[] after = [];
        while (fresh.Any(f => f is null) && sinceUp.Elapsed < TimeSpan.FromMinutes(2))
        {
            after = await Task.WhenAll(ports.Select(p => StatsAsync(http, p)));
            for (var i = 0; i < clients; i++)
            {
                fresh[i] ??= after[i] is { } s && s.LastSiteSequence > upSequence ? sinceUp.Elapsed.TotalSeconds : null;
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        await stop.CancelAsync();
        await feed.ContinueWith(_ => { }, TaskScheduler.Default);

        var reconnects = await ReconnectsAsync(stack, site, up);
        var times = fresh.Where(f => f is not null).Select(f => f!.Value).ToList();
        var freshIn = times.Count == clients ? times.Max() : double.NaN;
        var reloaded = before.Zip(after).Count(p => p.Second is { } s && p.First is { } b && s.Snapshots > b.Snapshots);
        var gaps = before.Zip(after).Sum(p => p.Second is { } s && p.First is { } b ? s.Gaps - b.Gaps : 0);
        var peak = reconnects.GroupBy(r => Math.Floor(r)).Select(g => g.Count()).DefaultIfEmpty(0).Max();
        var name = $"{clients} client processes";
        Console.WriteLine($"  stop + start {stoppedFor.TotalSeconds:N1} s; fresh {times.Count} of {clients}, all within {freshIn:N1} s of the node's start; "
            + $"{reloaded} reloaded a snapshot, {gaps} gaps; reconnects after up at {string.Join(" ", reconnects.Select(r => r.ToString("0.0", CultureInfo.InvariantCulture)))} s");
        report.Add(Group, $"{name}: node stop + 2 s + start", stoppedFor.TotalSeconds, "s");
        report.Add(Group, $"{name}: fresh again", times.Count, "clients");
        report.Add(Group, $"{name}: all fresh after the node is up", freshIn, "s");
        report.Add(Group, $"{name}: median client fresh after up", times.Count == 0 ? double.NaN : Percentiles.Of(times).P50, "s");
        report.Add(Group, $"{name}: clients that reloaded a snapshot", reloaded, "clients");
        report.Add(Group, $"{name}: gaps found", gaps, "gaps");
        report.Add(Group, $"{name}: client connections back (management API)", reconnects.Count, "connections");
        report.Add(Group, $"{name}: first reconnect after up", reconnects.DefaultIfEmpty(double.NaN).Min(), "s");
        report.Add(Group, $"{name}: last reconnect after up", reconnects.DefaultIfEmpty(double.NaN).Max(), "s");
        report.Add(Group, $"{name}: peak reconnects in one second", peak, "connections");
    }

    private sealed record Stats(long LastSiteSequence, long Snapshots, long Gaps);

    private static async Task<Stats?> StatsAsync(HttpClient http, int port)
    {
        try
        {
            return await http.GetFromJsonAsync<Stats>($"http://127.0.0.1:{port}/stats", Hosting.Json.Options);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null; // not up yet
        }
    }

    /// <summary>Seconds from <paramref name="up"/> to each client connection's <c>connected_at</c> on the site node (the clients' own, by name).</summary>
    private static async Task<List<double>> ReconnectsAsync(SiteStack stack, string site, DateTimeOffset up)
    {
        var connections = await stack.Management.GetFromJsonAsync<JsonElement>("connections?columns=client_properties.connection_name,connected_at");
        return [.. connections.EnumerateArray()
            .Where(c => c.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var n)
                && n.GetString() is { } name && name.StartsWith($"rtd {site} client restart-", StringComparison.Ordinal) && !name.EndsWith("snapshot", StringComparison.Ordinal))
            .Select(c => (DateTimeOffset.FromUnixTimeMilliseconds(c.GetProperty("connected_at").GetInt64()) - up).TotalSeconds)
            .Order()];
    }
}
