using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd status`: one line per site, then its details. Config sequence committed at the center (GET /api/sequence) against
/// the one applied at the site, and the real-time age per table (distributor GET /stats, from the replica's
/// realtime_table_state); from the RabbitMQ management HTTP API (the read-only operator user is enough): the site's queues
/// in both vhosts (messages / consumers), its error queues, which distributor instance is the single active consumer of
/// the site's central queues (by its connection name, <see cref="Topology.Central.DistributorConnectionName"/>), and the
/// client workstations connected at the site; each of the distributor's broker links (central, site) from its /stats.
/// Exit code 1 when a site is more than --max-behind changes behind, its real-time data is older than --max-realtime-age,
/// a broker link of its distributor is down (the state names it: CENTER LINK DOWN, SITE BROKER DOWN), more than
/// --max-backlog messages are ready in one of its central queues (BACKLOG), a parking queue holds messages (ERRORS; the
/// central vhost's parking queues of no site asked about too), or it cannot be asked, for monitoring scripts; whatever could not be read (the center, a distributor, the management API) is named in
/// one line on stderr. Exit code 4 when the management API refuses the login.
/// </summary>
public static class StatusCommand
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    public static async Task<int> RunAsync(Options options, TextWriter output, TextWriter? problemOutput = null)
    {
        var central = new Uri(options["central"] ?? "http://127.0.0.1:5080");
        var sites = Sites(options["sites"] ?? ManagementApi.Env("RTD_SITES", "site-a site-b").Replace(' ', ','));
        var maxBehind = long.TryParse(options["max-behind"] ?? "0", CultureInfo.InvariantCulture, out var m) && m >= 0
            ? m
            : throw new UsageException("--max-behind takes a number of configuration changes (0 or more)");
        var maxRealTimeAge = options.Duration("max-realtime-age");
        var maxBacklog = long.TryParse(options["max-backlog"] ?? "1000", CultureInfo.InvariantCulture, out var mb) && mb >= 0
            ? mb
            : throw new UsageException("--max-backlog takes a number of messages (0 or more)");
        var centralVhost = options["central-vhost"] ?? Topology.Central.VirtualHost;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var management = new ManagementApi(options,
            options["user"] ?? ManagementApi.Env("RTD_RABBITMQ_OPERATOR_USER", "rtd-operator"),
            options["password"] ?? ManagementApi.Env("RTD_RABBITMQ_OPERATOR_PASSWORD", "local-demo-operator"));

        // every source that cannot be read is named at the end, on stderr, and fails the command
        var problems = new List<string>();
        try
        {
            // the login first: refused, the queue and client columns would be blank (exit code 4)
            await management.RequireAsync("whoami");
        }
        catch (UnreachableException exception)
        {
            problems.Add(exception.Message);
        }
        var committed = await GetAsync(http, new Uri(central, "/api/sequence"), "the central controller", problems);
        var last = committed?.GetProperty("lastSequence").GetInt64();
        output.WriteLine($"central {central}: committed {Show(last)}, published {Show(committed?.GetProperty("publishedThrough").GetInt64())}");
        output.WriteLine($"{"site",-16} {"applied",8} {"behind",7} {"config q",9} {"realtime q",11} {"errors",7} {"clients",8} {"active",7} {"rt age",7}  state");
        var unhealthy = 0;
        var details = new List<string>();
        var now = DateTimeOffset.UtcNow;
        var centralConnections = await ConnectionNamesAsync(management, centralVhost);
        // the central vhost's queues, read once: each site's are among them, and the parking queues of no site asked about
        var centralVhostQueues = await management.QueuesAsync(centralVhost);
        foreach (var (site, distributor) in sites)
        {
            var stats = await GetAsync(http, new Uri(distributor, "/stats"), $"the distributor of {site}", problems);
            var applied = stats is { } st && st.TryGetProperty("appliedConfigSequence", out var sequence) && sequence.ValueKind == JsonValueKind.Number ? sequence.GetInt64() : (long?)null;
            var ages = RealTimeAges(stats);
            // the distributor answers, its replica does not: its sequence and ages are unknown, not zero
            var replicaError = stats is { } sr && sr.TryGetProperty("replicaError", out var why) && why.ValueKind == JsonValueKind.String ? why.GetString() : null;
            if (replicaError is not null)
            {
                problems.Add($"the replica of {site} through its distributor at {distributor} ({replicaError})");
            }
            var configQueue = await management.GetAsync(QueuePath(centralVhost, Topology.Central.DistributorConfigQueue(site)));
            var realTimeQueue = await management.GetAsync(QueuePath(centralVhost, Topology.Central.DistributorRealTimeQueue(site)));
            var config = configQueue is { } c ? ManagementApi.Queue(c) : null;
            var realTime = realTimeQueue is { } r ? ManagementApi.Queue(r) : null;
            var centralQueues = centralVhostQueues?.Where(q => q.Name.StartsWith($"rtd.{site}.", StringComparison.Ordinal)).ToList() ?? [];
            var siteQueues = (await management.QueuesAsync(Topology.Site.VirtualHost(site)))?.Where(q => !IsTemporary(q.Name)).ToList();
            var parked = centralQueues.Concat(siteQueues ?? []).Where(q => Topology.IsParkingQueue(q.Name) && q.Messages > 0)
                .OrderByDescending(q => q.Messages).ThenBy(q => q.Name, StringComparer.Ordinal).ToList();
            var errors = parked.Sum(q => q.Messages);
            // messages ready in the site's central-facing queues: what waits for its distributor, whatever the sequences say
            var backlog = new[] { config, realTime }.OfType<QueueState>().Where(q => q.Ready > maxBacklog).ToList();
            var clients = siteQueues?.Where(q => IsClientQueue(site, q.Name)).ToList();
            var connected = clients?.Count(q => q.Consumers > 0);
            var configActive = Instances(site, configQueue, centralConnections);
            var realTimeActive = Instances(site, realTimeQueue, centralConnections);
            var active = (configActive.Active, realTimeActive.Active) switch
            {
                (null, null) => "-",
                (var a, var b) when a == b || b is null => a!,
                (null, var b) => b,
                (var a, var b) => $"{a}|{b}",
            };
            // the center's last sequence was read before this site's applied one: a change committed and applied in
            // between makes the difference negative; the site is then not behind at all
            var behind = last - applied is { } difference ? Math.Max(0, difference) : (long?)null;
            var oldest = ages.Count > 0 ? ages.MaxBy(a => a.Age) : default;
            var links = Links(stats);
            var down = links.FirstOrDefault(l => l.LostSince is not null);
            var state = (last, applied, config) switch
            {
                (null, _, _) => "CENTRAL UNREACHABLE",
                (_, null, _) => "DISTRIBUTOR UNREACHABLE",
                _ when down.Name is not null => $"{(down.Name == "central-broker" ? "CENTER LINK" : "SITE BROKER")} DOWN since {down.LostSince:HH:mm:ss}",
                _ when behind > maxBehind => $"BEHIND by {behind}",
                (_, _, { Consumers: 0 }) => "NO CONSUMER",
                _ when maxRealTimeAge is { } max && oldest.Table is not null && oldest.Age > max.TotalSeconds => $"REAL-TIME STALE ({oldest.Table} {oldest.Age:0.#}s)",
                _ => null,
            };
            // a backlog and parked messages are named beside any other state: the sequences can agree while they wait
            List<string> found = [.. backlog.Select(q => $"BACKLOG {q.Ready} ready in {q.Name}"),
                .. parked.Take(1).Select(q => $"ERRORS {q.Messages} in {q.Name}{(parked.Count > 1 ? $" (+{parked.Count - 1} more error queues)" : "")}")];
            if (state is not null)
            {
                found.Insert(0, state);
            }
            state = found.Count > 0 ? string.Join("; ", found)
                : active.Contains('|', StringComparison.Ordinal) ? "ok, config and real-time active on different instances"
                : "ok";
            if (!state.StartsWith("ok", StringComparison.Ordinal))
            {
                unhealthy++;
            }
            output.WriteLine($"{site,-16} {Show(applied),8} {Show(behind),7} {Depth(config),9} {Depth(realTime),11} {errors,7} {Show(connected),8} {active,7} "
                + $"{(oldest.Table is null ? "-" : $"{oldest.Age:0.0}s"),7}  {state}");

            // a standby holds no site lease and so consumes neither queue: it shows as a distributor connection of the site
            var connectedInstances = centralConnections.Values.Select(n => Topology.Central.DistributorInstanceOf(site, n))
                .OfType<string>().Where(i => !i.Contains(' ', StringComparison.Ordinal));
            var standby = configActive.Waiting.Concat(realTimeActive.Waiting).Concat(connectedInstances)
                .Where(i => i != configActive.Active && i != realTimeActive.Active).Distinct().Order(StringComparer.Ordinal).ToList();
            details.Add($"{site}: active distributor: config {configActive.Active ?? "-"}, real-time {realTimeActive.Active ?? "-"}; "
                + $"standby: {(standby.Count == 0 ? "none" : string.Join(", ", standby))}");
            details.Add($"{site}: site lease: {Lease(stats)}; resyncs: {Resyncs(stats)}");
            details.Add($"{site}: broker links: {(links.Count == 0 ? "-" : string.Join("; ", links.Select(l => l.LostSince is { } since
                ? $"{l.Name} {l.Endpoint} DOWN since {since:O}: {l.Reason}"
                : $"{l.Name} {l.Endpoint} up")))}");
            details.Add($"{site}: real-time age: {(stats is null ? "- (the distributor does not answer)" : replicaError is not null ? $"- (its replica does not answer: {replicaError})" : ages.Count == 0 ? "no real-time data yet" : string.Join(", ", ages.Select(a => $"{a.Table} {a.Age:0.0}s")))}");
            details.Add($"{site}: clients: {(clients is null ? "-" : clients.Count == 0 ? "none"
                : string.Join(", ", clients.Select(q => $"{q.Name[Topology.Site.ClientQueue(site, "").Length..]} {Depth(q)}{(q.Consumers == 0 ? Disconnected(q, now) : "")}")))}");
            if (parked.Count > 0)
            {
                details.Add($"{site}: error queues (messages): {string.Join(", ", parked.Select(q => $"{q.VirtualHost} {q.Name} {q.Messages}"))}; rtd errors list --queue NAME shows why");
            }
            details.Add($"{site}: queues (messages/consumers): {centralVhost} {Queues(centralQueues)}; {Topology.Site.VirtualHost(site)} "
                + $"{(siteQueues is null ? "-" : Queues(siteQueues.Where(q => !IsClientQueue(site, q.Name))))}");
        }
        // the center's own parking queues (refused peripheral events, failed snapshot requests) and those of sites not asked about
        var centerParked = centralVhostQueues?
            .Where(q => Topology.IsParkingQueue(q.Name) && q.Messages > 0 && !sites.Any(s => q.Name.StartsWith($"rtd.{s.Site}.", StringComparison.Ordinal)))
            .OrderBy(q => q.Name, StringComparer.Ordinal).ToList() ?? [];
        if (centerParked.Count > 0)
        {
            details.Add($"{centralVhost}: other error queues (messages): {string.Join(", ", centerParked.Select(q => $"{q.Name} {q.Messages}"))}; rtd errors list --queue NAME shows why");
        }
        output.WriteLine();
        foreach (var line in details)
        {
            output.WriteLine(line);
        }
        var healthy = unhealthy == 0 && problems.Count == 0 && centerParked.Count == 0;
        output.WriteLine(healthy
            ? "every site is up to date"
            : $"{unhealthy} of {sites.Count} sites need attention{(centerParked.Count > 0 ? $"; {centerParked.Sum(q => q.Messages)} messages wait in other error queues of {centralVhost}" : "")} "
                + $"(thresholds: {maxBehind} changes behind, {maxBacklog} messages ready{(maxRealTimeAge is { } age ? $", real-time older than {age.TotalSeconds:0.#}s" : "")})");
        if (problems.Count > 0)
        {
            // the table above says what it means for each site; this names what could not be read, in one line
            await (problemOutput ?? Console.Error).WriteLineAsync($"rtd status: could not read {string.Join("; ", problems)}");
        }
        return healthy ? 0 : 1;
    }

    /// <summary>"site-a,site-b=http://host:5082": a site's distributor URL defaults to http://127.0.0.1:{5081 + index}, as `rtd-lab demo` starts them.</summary>
    private static List<(string Site, Uri Distributor)> Sites(string list) =>
        [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select((entry, i) =>
            entry.Split('=', 2) is [var site, var url] ? (site, new Uri(url)) : (entry, new Uri($"http://127.0.0.1:{5081 + i}")))];

    /// <summary>The answer, or null, and what could not be read added to <paramref name="problems"/>.</summary>
    private static async Task<JsonElement?> GetAsync(HttpClient http, Uri uri, string what, List<string> problems)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>(uri, Web);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            problems.Add($"{what} at {uri} ({(exception is TaskCanceledException ? "no answer within 5 s" : exception.Message)})");
            return null;
        }
    }

    private static string QueuePath(string vhost, string queue) => $"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}";

    /// <summary>Connection id ("127.0.0.1:50818 -> 127.0.0.1:5672") to the name its client gave it.</summary>
    private static async Task<Dictionary<string, string>> ConnectionNamesAsync(ManagementApi management, string vhost)
    {
        var connections = await management.GetAsync($"vhosts/{Uri.EscapeDataString(vhost)}/connections");
        var names = new Dictionary<string, string>();
        foreach (var connection in connections?.EnumerateArray() ?? default)
        {
            var given = connection.TryGetProperty("user_provided_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()
                : connection.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var cn) ? cn.GetString()
                : null;
            if (given is not null)
            {
                names[connection.GetProperty("name").GetString()!] = given;
            }
        }
        return names;
    }

    /// <summary>The instance whose consumer is the single active one on the queue, and the waiting (standby) ones.</summary>
    private static (string? Active, List<string> Waiting) Instances(string site, JsonElement? queue, Dictionary<string, string> connectionNames)
    {
        string? active = null;
        var waiting = new List<string>();
        if (queue is { } q && q.TryGetProperty("consumer_details", out var consumers) && consumers.ValueKind == JsonValueKind.Array)
        {
            foreach (var consumer in consumers.EnumerateArray())
            {
                // an object, or an empty array while the broker has no details of the consumer's channel yet (seen on quorum queues)
                var connection = consumer.TryGetProperty("channel_details", out var details) && details.ValueKind == JsonValueKind.Object
                    && details.TryGetProperty("connection_name", out var n) ? n.GetString() : null;
                var instance = Topology.Central.DistributorInstanceOf(site, connection is not null && connectionNames.TryGetValue(connection, out var named) ? named : connection)
                    ?? "?";
                var isActive = consumer.TryGetProperty("activity_status", out var status)
                    ? status.GetString() is "single_active" or "up"
                    : consumer.TryGetProperty("active", out var a) && a.GetBoolean();
                if (isActive)
                {
                    active = instance;
                }
                else
                {
                    waiting.Add(instance);
                }
            }
        }
        return (active, waiting);
    }

    /// <summary>Who holds the site lease, under which epoch (distributor GET /stats, from the replica's sync_state).</summary>
    private static string Lease(JsonElement? stats) =>
        stats is { } s && s.TryGetProperty("epoch", out var epoch) && epoch.ValueKind == JsonValueKind.Number
            ? $"epoch {epoch.GetInt64()}, holder {Text(s, "leaseHolder") ?? "none"} until {Text(s, "leaseExpiresAt") ?? "-"}"
            : "-";

    /// <summary>The replica's resync count and the last reason (kept in the replica's resync_log, so they survive a restart).</summary>
    private static string Resyncs(JsonElement? stats) =>
        stats is { } s && s.TryGetProperty("resyncs", out var count) && count.ValueKind == JsonValueKind.Number
            ? count.GetInt64() == 0 ? "0" : $"{count.GetInt64()} (last at {Text(s, "lastResyncAt") ?? "-"}: {Text(s, "lastResyncReason") ?? "-"})"
            : "-";

    private static string? Text(JsonElement stats, string property) =>
        stats.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : null;

    /// <summary>The distributor's broker links from its /stats ("central-broker", "site-broker"): up, or lost since when and why.</summary>
    private static List<(string Name, string Endpoint, DateTimeOffset? LostSince, string? Reason)> Links(JsonElement? stats) =>
        stats is { } s && s.TryGetProperty("links", out var links)
            ? [.. links.EnumerateArray().Select(l => (l.GetProperty("name").GetString()!, l.GetProperty("endpoint").GetString()!,
                l.TryGetProperty("lostSince", out var since) && since.ValueKind == JsonValueKind.String ? since.GetDateTimeOffset() : (DateTimeOffset?)null,
                l.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null))]
            : [];

    private static List<(string Table, double Age)> RealTimeAges(JsonElement? stats) =>
        stats is { } s && s.TryGetProperty("realTimeTables", out var tables)
            && tables.ValueKind == JsonValueKind.Array
            ? [.. tables.EnumerateArray().Where(t => t.TryGetProperty("ageSeconds", out var age) && age.ValueKind == JsonValueKind.Number)
                .Select(t => (t.GetProperty("table").GetString()!, t.GetProperty("ageSeconds").GetDouble()))]
            : [];

    /// <summary>" (disconnected 12:30, the broker deletes its queue at 09:05 UTC: x-expires 30 min)": how long no client has read it, and when it goes.</summary>
    private static string Disconnected(QueueState queue, DateTimeOffset now) => queue.IdleSince is not { } since ? " (disconnected)"
        : $" (disconnected {TerminalView.Age(now - since)}{(queue.Expires is { } expires
            ? string.Create(CultureInfo.InvariantCulture, $", the broker deletes its queue at {since + expires:HH:mm} UTC: x-expires {expires.TotalMinutes:0} min")
            : "")})";

    /// <summary>A workstation's own queue (not its snapshot-reply or parking queues).</summary>
    private static bool IsClientQueue(string site, string name)
    {
        var prefix = Topology.Site.ClientQueue(site, "");
        return name.StartsWith(prefix, StringComparison.Ordinal) && !name[prefix.Length..].Contains('.', StringComparison.Ordinal) && !Topology.IsParkingQueue(name);
    }

    /// <summary>A process's temporary bus endpoint: gone with the process.</summary>
    private static bool IsTemporary(string name) => Topology.IsBusEndpoint(name);

    private static string Queues(IEnumerable<QueueState> queues) =>
        string.Join(", ", queues.OrderBy(q => q.Name, StringComparer.Ordinal).Select(q => $"{q.Name} {Depth(q)}")) is { Length: > 0 } text ? text : "none";

    private static string Show(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Show(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string Depth(QueueState? queue) => queue is null ? "-" : $"{queue.Messages}/{queue.Consumers}";
}
