using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 14: the evidence for the WAN transport. A site's backlog (a quorum queue on the central broker, like its config
/// queue) reaches a consumer at the site in three ways, each through its own <see cref="FaultProxy"/> standing for the
/// WAN: "direct", the consumer reads the central queue across the link (what the distributor does); "shovel", a dynamic
/// shovel on the site's broker node moves the queue into a site-local queue that the consumer reads; "federation", a
/// federation upstream and a policy make a site-local queue a federated queue that pulls from the central one while it
/// has a consumer (queue federation moves messages only to a downstream queue whose consumers wait for more). Each
/// drains the same backlog, with the link reset for a few seconds half-way: the drain rate before the cut, how long
/// after the restore messages flow again, and how many came twice. Then, shovel and federation, the link goes dark
/// (packets dropped, no reset) and the link's own status, as the management API shows it, is sampled during the outage.
/// </summary>
public static class WanTransportBenchmark
{
    private const string VirtualHost = "rtd-bench-wan";
    private const string Source = "bench.wan.backlog";
    private const string Landing = "bench.wan.landing";
    private const string Shovel = "bench-wan-shovel";
    private const string Federated = "bench.wan.federated";
    private const string Upstream = "bench-wan-upstream";
    private const string FederationPolicy = "bench-wan-federation";
    private static readonly TimeSpan CutFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DarkFor = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DarkSample = TimeSpan.FromSeconds(2);
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
    {
        sequence = 1,
        table = "agent",
        key = "1001",
        operation = "upsert",
        data = new { id = 1001, name = new string('a', 40), peripheralId = 1, skillGroups = new[] { 1, 2, 3 } },
        committedAt = DateTimeOffset.UnixEpoch,
    }));

    public static async Task RunAsync(Report report, int backlog)
    {
        await using var stack = await SiteStack.StartAsync();
        using var central = new Broker();
        var site = stack.Management;
        await central.CreateVirtualHostAsync(VirtualHost);
        await stack.AddVirtualHostAsync(VirtualHost);
        try
        {
            var group = $"WAN transport: a backlog of {backlog:N0} changes, link reset for {CutFor.TotalSeconds:0} s half-way";
            var baseline = $"{Name(Transport.Direct)}: drain rate before the cut";
            foreach (var transport in Enum.GetValues<Transport>())
            {
                var result = await DrainAsync(backlog, transport, site);
                var name = Name(transport);
                Console.WriteLine($"  {name}: {result.Rate:N0} changes/s before the cut, flowing {result.Resumed.TotalSeconds:0.0} s after the restore, " +
                    $"{result.Duplicates:N0} twice ({result.DuplicatesBeforeCut:N0} of them before the cut); link states during the cut: {result.States}");
                report.Add(group, $"{name}: drain rate before the cut", result.Rate, "changes/s", transport == Transport.Direct ? null : baseline);
                report.Add(group, $"{name}: flowing again after the restore", result.Resumed.TotalSeconds, "s");
                report.Add(group, $"{name}: delivered twice", result.Duplicates, "changes");
                report.Add(group, $"{name}: delivered twice, of them before the cut", result.DuplicatesBeforeCut, "changes");
            }
            var dark = $"WAN transport: link dark (no reset) for {DarkFor.TotalSeconds:0} s, the link's state sampled every {DarkSample.TotalSeconds:0} s";
            foreach (var transport in new[] { Transport.Shovel, Transport.Federation })
            {
                var states = await DarkLinkAsync(transport, site);
                Console.WriteLine($"  {Name(transport)}, link dark for {DarkFor.TotalSeconds:0} s: states {string.Join(", ", states)}");
                report.Add(dark, $"{Name(transport)}: samples saying running", states.Count(s => s == "running"), $"of {states.Count}");
            }
        }
        finally
        {
            await central.DeleteVirtualHostAsync(VirtualHost);
        }
    }

    /// <summary>How the central backlog reaches the site's consumer.</summary>
    private enum Transport
    {
        Direct,
        Shovel,
        Federation,
    }

    private static string Name(Transport transport) => transport switch
    {
        Transport.Direct => "direct consumer across the WAN",
        Transport.Shovel => "shovel to the site broker",
        _ => "federated queue on the site broker",
    };

    /// <summary>The site-local queue the consumer reads (the central one itself for the direct consumer).</summary>
    private static string SiteQueue(Transport transport) => transport switch
    {
        Transport.Direct => Source,
        Transport.Shovel => Landing,
        _ => Federated,
    };

    /// <summary>A drain's figures: <paramref name="Duplicates"/> in all, <paramref name="DuplicatesBeforeCut"/> of them while the link was up.</summary>
    private sealed record Drain(double Rate, TimeSpan Resumed, int Duplicates, int DuplicatesBeforeCut, string States);

    /// <summary>Fills the central backlog, then drains it at the site, the link reset half-way.</summary>
    private static async Task<Drain> DrainAsync(int backlog, Transport transport, HttpClient site)
    {
        await using var wan = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.RabbitHost, TestSettings.RabbitPort);
        wan.Start();
        await using var centralConnection = await Factory(TestSettings.RabbitPort, TestSettings.RabbitUser, TestSettings.RabbitPassword).CreateConnectionAsync();
        await FillAsync(centralConnection, backlog);
        var viaSite = transport != Transport.Direct;
        await using var siteConnection = viaSite ? await DeclareSiteQueueAsync(transport) : null;
        var counter = new Counter(backlog);
        // the consumer: across the WAN (direct) or on the site node (shovel, federation); reconnects after a cut, as the distributor does
        using var stop = new CancellationTokenSource();
        var consuming = viaSite
            ? ConsumeAsync(() => Task.FromResult(siteConnection!), ownsConnection: false, SiteQueue(transport), counter, stop.Token)
            : ConsumeAsync(() => Factory(wan.Port, TestSettings.RabbitUser, TestSettings.RabbitPassword).CreateConnectionAsync(), ownsConnection: true, Source, counter, stop.Token);
        var started = Stopwatch.StartNew();
        if (viaSite)
        {
            await PutLinkAsync(transport, site, wan.Port);
        }
        try
        {
            await counter.Reached(backlog / 2).WaitAsync(TimeSpan.FromMinutes(5));
            var rate = backlog / 2 / started.Elapsed.TotalSeconds;
            var twiceBeforeCut = counter.Twice;
            wan.Cut();
            var states = new List<string>();
            for (var waited = TimeSpan.Zero; waited < CutFor; waited += TimeSpan.FromSeconds(1))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                if (viaSite)
                {
                    states.Add(await LinkStateAsync(transport, site));
                }
            }
            var before = counter.Deliveries;
            wan.Restore();
            var restored = Stopwatch.StartNew();
            try
            {
                await counter.DeliveriesAfter(before).WaitAsync(TimeSpan.FromMinutes(2));
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{Name(transport)}: nothing delivered in 2 min after the restore ({before:N0} deliveries, the link {wan.Status})");
            }
            var resumed = restored.Elapsed;
            await counter.Reached(backlog).WaitAsync(TimeSpan.FromMinutes(5));
            return new Drain(rate, resumed, counter.Deliveries - backlog, twiceBeforeCut, viaSite ? string.Join(", ", states) : "-");
        }
        finally
        {
            if (viaSite)
            {
                await DeleteLinkAsync(transport, site);
            }
            await stop.CancelAsync();
            await consuming;
        }
    }

    /// <summary>A shovel or federation link running, then the link dark (no reset) for a while, the link's state sampled meanwhile.</summary>
    private static async Task<List<string>> DarkLinkAsync(Transport transport, HttpClient site)
    {
        await using var wan = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.RabbitHost, TestSettings.RabbitPort);
        wan.Start();
        await using var siteConnection = await DeclareSiteQueueAsync(transport);
        await PutLinkAsync(transport, site, wan.Port);
        try
        {
            await Eventually.Until(() => LinkStateAsync(transport, site), s => s == "running", $"the {transport} link to run", TimeSpan.FromSeconds(30));
            wan.Cut(CutMode.Blackhole);
            var states = new List<string>();
            for (var waited = TimeSpan.Zero; waited < DarkFor; waited += DarkSample)
            {
                await Task.Delay(DarkSample);
                states.Add(await LinkStateAsync(transport, site));
            }
            wan.Restore();
            return states;
        }
        finally
        {
            await DeleteLinkAsync(transport, site);
        }
    }

    /// <summary>Counts deliveries by message id: each change once, and how many came again.</summary>
    private sealed class Counter(int expected)
    {
        private readonly Lock _gate = new();
        private readonly HashSet<int> _seen = [];
        private readonly List<(Func<bool> Done, TaskCompletionSource Signal)> _waits = [];
        private int _deliveries;

        public int Deliveries
        {
            get
            {
                lock (_gate)
                {
                    return _deliveries;
                }
            }
        }

        /// <summary>Deliveries of a change seen before.</summary>
        public int Twice
        {
            get
            {
                lock (_gate)
                {
                    return _deliveries - _seen.Count;
                }
            }
        }

        public void Delivered(int id)
        {
            lock (_gate)
            {
                _deliveries++;
                _seen.Add(id);
                _waits.RemoveAll(w => w.Done() && w.Signal.TrySetResult());
            }
        }

        public Task Reached(int distinct) => When(() => _seen.Count >= Math.Min(distinct, expected));

        public Task DeliveriesAfter(int count) => When(() => _deliveries > count);

        private Task When(Func<bool> done)
        {
            var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (done())
                {
                    return Task.CompletedTask;
                }
                _waits.Add((done, signal));
            }
            return signal.Task;
        }
    }

    /// <summary>Consumes <paramref name="queue"/> as the distributor does (prefetch as its config consumer, multiple acks), reconnecting after a failure.</summary>
    private static async Task ConsumeAsync(Func<Task<IConnection>> connect, bool ownsConnection, string queue, Counter counter, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var connection = await connect();
                await using var channel = await connection.CreateChannelAsync(cancellationToken: stop);
                await channel.BasicQosAsync(0, Topology.Central.DistributorConfigInFlight, false, stop);
                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                channel.ChannelShutdownAsync += (_, _) =>
                {
                    closed.TrySetResult();
                    return Task.CompletedTask;
                };
                var consumer = new AsyncEventingBasicConsumer(channel);
                var unacked = 0;
                consumer.ReceivedAsync += async (_, delivery) =>
                {
                    counter.Delivered(int.Parse(delivery.BasicProperties.MessageId!, CultureInfo.InvariantCulture));
                    if (++unacked >= 250)
                    {
                        unacked = 0;
                        await channel.BasicAckAsync(delivery.DeliveryTag, multiple: true);
                    }
                };
                await channel.BasicConsumeAsync(queue, autoAck: false, consumer, stop);
                // a link that failed before the handler was added raised no event: look once more, then every second
                while (channel.IsOpen && connection.IsOpen && !closed.Task.IsCompleted)
                {
                    await Task.WhenAny(closed.Task, Task.Delay(TimeSpan.FromSeconds(1), stop));
                    stop.ThrowIfCancellationRequested();
                }
                if (ownsConnection)
                {
                    await connection.DisposeAsync();
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), CancellationToken.None);
            }
        }
    }

    private static async Task FillAsync(IConnection connection, int backlog)
    {
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.QueueDeclareAsync(Source, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        await channel.QueuePurgeAsync(Source);
        for (var first = 0; first < backlog; first += 1_000)
        {
            var pending = Enumerable.Range(first, Math.Min(1_000, backlog - first)).Select(i => channel.BasicPublishAsync("", Source, false,
                new BasicProperties { Persistent = true, ContentType = "application/json", MessageId = i.ToString(CultureInfo.InvariantCulture) }, Body)).ToList();
            foreach (var confirm in pending)
            {
                await confirm;
            }
        }
    }

    /// <summary>The site-local queue of a shovel or federation (durable, classic, emptied), on a connection to the site node the caller keeps.</summary>
    private static async Task<IConnection> DeclareSiteQueueAsync(Transport transport)
    {
        var connection = await Factory(SiteStack.RabbitPort, "guest", "guest").CreateConnectionAsync();
        await using var declare = await connection.CreateChannelAsync();
        await declare.QueueDeclareAsync(SiteQueue(transport), durable: true, exclusive: false, autoDelete: false);
        await declare.QueuePurgeAsync(SiteQueue(transport));
        return connection;
    }

    /// <summary>
    /// The link on the site node, from the central backlog through the WAN proxy: a dynamic shovel into the landing queue,
    /// or a federation upstream (the same prefetch, ack mode and reconnect delay) and the policy that federates the site
    /// queue from it.
    /// </summary>
    private static async Task PutLinkAsync(Transport transport, HttpClient site, int wanPort)
    {
        var vhost = Uri.EscapeDataString(VirtualHost);
        var source = $"amqp://{Uri.EscapeDataString(TestSettings.RabbitUser)}:{Uri.EscapeDataString(TestSettings.RabbitPassword)}@127.0.0.1:{wanPort}/{vhost}";
        if (transport == Transport.Shovel)
        {
            (await site.PutAsJsonAsync($"parameters/shovel/{vhost}/{Shovel}", new
            {
                value = new Dictionary<string, object>
                {
                    ["src-protocol"] = "amqp091",
                    ["src-uri"] = source,
                    ["src-queue"] = Source,
                    ["src-prefetch-count"] = Topology.Central.DistributorConfigInFlight,
                    ["dest-protocol"] = "amqp091",
                    ["dest-uri"] = $"amqp:///{vhost}",
                    ["dest-queue"] = Landing,
                    ["ack-mode"] = "on-confirm",
                    ["reconnect-delay"] = 1,
                },
            })).EnsureSuccessStatusCode();
            return;
        }
        (await site.PutAsJsonAsync($"parameters/federation-upstream/{vhost}/{Upstream}", new
        {
            value = new Dictionary<string, object>
            {
                ["uri"] = source,
                ["queue"] = Source,
                ["prefetch-count"] = Topology.Central.DistributorConfigInFlight,
                ["ack-mode"] = "on-confirm",
                ["reconnect-delay"] = 1,
            },
        })).EnsureSuccessStatusCode();
        (await site.PutAsJsonAsync($"policies/{vhost}/{FederationPolicy}", new Dictionary<string, object>
        {
            ["pattern"] = $"^{Regex.Escape(Federated)}$",
            ["definition"] = new Dictionary<string, object> { ["federation-upstream"] = Upstream },
            ["priority"] = 0,
            ["apply-to"] = "queues",
        })).EnsureSuccessStatusCode();
    }

    private static async Task DeleteLinkAsync(Transport transport, HttpClient site)
    {
        var vhost = Uri.EscapeDataString(VirtualHost);
        if (transport == Transport.Shovel)
        {
            await site.DeleteAsync($"parameters/shovel/{vhost}/{Shovel}");
            return;
        }
        await site.DeleteAsync($"policies/{vhost}/{FederationPolicy}");
        await site.DeleteAsync($"parameters/federation-upstream/{vhost}/{Upstream}");
    }

    /// <summary>The link's state as the management API shows it: the shovel's (shovels/), or the federation link's of the site queue (federation-links/).</summary>
    private static async Task<string> LinkStateAsync(Transport transport, HttpClient site)
    {
        var vhost = Uri.EscapeDataString(VirtualHost);
        var (path, name, field, state) = transport == Transport.Shovel
            ? ($"shovels/{vhost}", Shovel, "name", "state")
            : ($"federation-links/{vhost}", Federated, "queue", "status");
        var links = await site.GetFromJsonAsync<JsonElement>(path);
        return links.EnumerateArray().Where(l => l.TryGetProperty(field, out var value) && value.GetString() == name)
            .Select(l => l.GetProperty(state).GetString()).FirstOrDefault() ?? "absent";
    }

    private static ConnectionFactory Factory(int port, string user, string password) => new()
    {
        HostName = "127.0.0.1",
        Port = port,
        UserName = user,
        Password = password,
        VirtualHost = VirtualHost,
        AutomaticRecoveryEnabled = false,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
    };
}
