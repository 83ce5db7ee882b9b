using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd status`: one line per site. Config sequence committed at the center (GET /api/sequence) against the one applied at
/// the site (distributor GET /stats), the site's queues in the central vhost (ready messages / consumers) and its error
/// queue, and the client workstations connected at the site (client queues with a consumer), from the RabbitMQ management
/// HTTP API (the read-only operator user is enough). Exit code 1 when a site is more than --max-behind changes behind
/// or cannot be asked, for monitoring scripts.
/// </summary>
public static class StatusCommand
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(Options options, TextWriter output)
    {
        var central = new Uri(options["central"] ?? "http://127.0.0.1:5080");
        var sites = Sites(options["sites"] ?? Env("RTD_SITES", "site-a site-b").Replace(' ', ','));
        var maxBehind = long.TryParse(options["max-behind"] ?? "0", CultureInfo.InvariantCulture, out var m) && m >= 0
            ? m
            : throw new UsageException("--max-behind takes a number of configuration changes (0 or more)");
        var centralVhost = options["central-vhost"] ?? Topology.Central.VirtualHost;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var management = new HttpClient
        {
            BaseAddress = new Uri((options["management"] ?? $"http://{Env("RTD_RABBITMQ_HOST", "127.0.0.1")}:15672").TrimEnd('/') + "/api/"),
            Timeout = TimeSpan.FromSeconds(5),
        };
        var user = options["user"] ?? Env("RTD_RABBITMQ_OPERATOR_USER", "rtd-operator");
        var password = options["password"] ?? Env("RTD_RABBITMQ_OPERATOR_PASSWORD", "local-demo-operator");
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

        var committed = await GetAsync(http, new Uri(central, "/api/sequence"));
        var last = committed?.GetProperty("lastSequence").GetInt64();
        output.WriteLine($"central {central}: committed {Show(last)}, published {Show(committed?.GetProperty("publishedThrough").GetInt64())}");
        output.WriteLine($"{"site",-16} {"applied",8} {"behind",7} {"config q",9} {"realtime q",11} {"errors",7} {"clients",8}  state");
        var unhealthy = 0;
        foreach (var (site, distributor) in sites)
        {
            var stats = await GetAsync(http, new Uri(distributor, "/stats"));
            var applied = stats?.GetProperty("appliedConfigSequence").GetInt64();
            var config = await QueueAsync(management, centralVhost, Topology.Central.DistributorConfigQueue(site));
            var realTime = await QueueAsync(management, centralVhost, Topology.Central.DistributorRealTimeQueue(site));
            var errors = ((await QueueAsync(management, centralVhost, $"{Topology.Central.DistributorConfigQueue(site)}_error"))?.Messages ?? 0)
                + ((await QueueAsync(management, centralVhost, $"{Topology.Central.DistributorRealTimeQueue(site)}_error"))?.Messages ?? 0);
            var clients = await ClientsAsync(management, site);
            var behind = last - applied;
            var state = (last, applied, config) switch
            {
                (null, _, _) => "CENTRAL UNREACHABLE",
                (_, null, _) => "DISTRIBUTOR UNREACHABLE",
                _ when behind > maxBehind => $"BEHIND by {behind}",
                (_, _, { Consumers: 0 }) => "NO CONSUMER",
                _ when errors > 0 => "ok, error queue not empty",
                _ => "ok",
            };
            if (!state.StartsWith("ok", StringComparison.Ordinal))
            {
                unhealthy++;
            }
            output.WriteLine($"{site,-16} {Show(applied),8} {Show(behind),7} {Depth(config),9} {Depth(realTime),11} {errors,7} {Show(clients),8}  {state}");
        }
        output.WriteLine(unhealthy == 0 ? "every site is up to date" : $"{unhealthy} of {sites.Count} sites need attention (threshold: {maxBehind} changes behind)");
        return unhealthy == 0 ? 0 : 1;
    }

    /// <summary>"site-a,site-b=http://host:5082": a site's distributor URL defaults to http://127.0.0.1:{5081 + index}, as `rtd demo` starts them.</summary>
    private static List<(string Site, Uri Distributor)> Sites(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select((entry, i) =>
            entry.Split('=', 2) is [var site, var url] ? (site, new Uri(url)) : (entry, new Uri($"http://127.0.0.1:{5081 + i}")))];

    private static async Task<JsonElement?> GetAsync(HttpClient http, Uri uri)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>(uri, Web);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    private sealed record QueueState(long Messages, int Consumers);

    private static async Task<QueueState?> QueueAsync(HttpClient management, string vhost, string queue)
    {
        var q = await GetAsync(management, new Uri(management.BaseAddress!, $"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}"));
        // a queue's counters appear in the management API at its first statistics emission (every 5 s by default)
        return q is { } e
            ? new QueueState(e.TryGetProperty("messages", out var m) ? m.GetInt64() : 0, e.TryGetProperty("consumers", out var c) ? c.GetInt32() : 0)
            : null;
    }

    /// <summary>Workstations with a consumer on their own queue (not their snapshot-reply or error queues).</summary>
    private static async Task<int?> ClientsAsync(HttpClient management, string site)
    {
        var queues = await GetAsync(management, new Uri(management.BaseAddress!, $"queues/{Uri.EscapeDataString(Topology.Site.VirtualHost(site))}"));
        var prefix = Topology.Site.ClientQueue(site, "");
        return queues?.EnumerateArray().Count(q => q.GetProperty("name").GetString() is { } name
            && name.StartsWith(prefix, StringComparison.Ordinal) && !name[prefix.Length..].Contains('.', StringComparison.Ordinal)
            && !name.EndsWith("_error", StringComparison.Ordinal)
            && q.TryGetProperty("consumers", out var consumers) && consumers.GetInt32() > 0);
    }

    private static string Show(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Depth(QueueState? queue) => queue is null ? "-" : $"{queue.Messages}/{queue.Consumers}";

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
