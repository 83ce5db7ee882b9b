using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Cli.Wan;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 14: the evidence for the WAN transport. A site's backlog (a quorum queue on the central broker, like its config
/// queue) reaches a consumer at the site in two ways, each through its own <see cref="FaultProxy"/> standing for the WAN:
/// "direct", the consumer reads the central queue across the link (what the distributor does), and "shovel", a dynamic
/// shovel on the site's broker node moves the queue into a site-local queue that the consumer reads. Each drains the
/// same backlog, with the link reset for a few seconds half-way: the drain rate before the cut, how long after the
/// restore messages flow again, and how many came twice. Then, the shovel only, the link goes dark (packets dropped,
/// no reset) and the shovel's own status, as the management API shows it, is sampled during the outage.
/// </summary>
public static class WanTransportBenchmark
{
    private const string VirtualHost = "rtd-bench-wan";
    private const string Source = "bench.wan.backlog";
    private const string Landing = "bench.wan.landing";
    private const string Shovel = "bench-wan-shovel";
    private static readonly TimeSpan CutFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DarkFor = TimeSpan.FromSeconds(10);
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
            var direct = await DrainAsync(backlog, useShovel: false, site);
            var shovel = await DrainAsync(backlog, useShovel: true, site);
            foreach (var (name, result) in new[] { ("direct consumer across the WAN", direct), ("shovel to the site broker", shovel) })
            {
                Console.WriteLine($"  {name}: {result.Rate:N0} changes/s before the cut, flowing {result.Resumed.TotalSeconds:0.0} s after the restore, " +
                    $"{result.Duplicates:N0} twice; shovel states during the cut: {result.States}");
                report.Add(group, $"{name}: drain rate before the cut", result.Rate, "changes/s",
                    result == direct ? null : "direct consumer across the WAN: drain rate before the cut");
                report.Add(group, $"{name}: flowing again after the restore", result.Resumed.TotalSeconds, "s");
                report.Add(group, $"{name}: delivered twice", result.Duplicates, "changes");
            }
            var states = await DarkLinkAsync(site);
            Console.WriteLine($"  shovel, link dark for {DarkFor.TotalSeconds:0} s: states {states}");
        }
        finally
        {
            await central.DeleteVirtualHostAsync(VirtualHost);
        }
    }

    private sealed record Drain(double Rate, TimeSpan Resumed, int Duplicates, string States);

    /// <summary>Fills the central backlog, then drains it at the site, the link reset half-way.</summary>
    private static async Task<Drain> DrainAsync(int backlog, bool useShovel, HttpClient site)
    {
        await using var wan = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.RabbitHost, TestSettings.RabbitPort);
        wan.Start();
        await using var centralConnection = await Factory(TestSettings.RabbitPort, TestSettings.RabbitUser, TestSettings.RabbitPassword).CreateConnectionAsync();
        await FillAsync(centralConnection, backlog);
        await using var siteConnection = useShovel ? await Factory(SiteStack.RabbitPort, "guest", "guest").CreateConnectionAsync() : null;
        if (siteConnection is not null)
        {
            await using var declare = await siteConnection.CreateChannelAsync();
            await declare.QueueDeclareAsync(Landing, durable: true, exclusive: false, autoDelete: false);
            await declare.QueuePurgeAsync(Landing);
        }
        var counter = new Counter(backlog);
        // the consumer: across the WAN (direct) or on the site node (shovel); reconnects after a cut, as the distributor does
        using var stop = new CancellationTokenSource();
        var consuming = useShovel
            ? ConsumeAsync(() => Task.FromResult(siteConnection!), ownsConnection: false, Landing, counter, stop.Token)
            : ConsumeAsync(() => Factory(wan.Port, TestSettings.RabbitUser, TestSettings.RabbitPassword).CreateConnectionAsync(), ownsConnection: true, Source, counter, stop.Token);
        var started = Stopwatch.StartNew();
        if (useShovel)
        {
            await PutShovelAsync(site, wan.Port);
        }
        try
        {
            await counter.Reached(backlog / 2).WaitAsync(TimeSpan.FromMinutes(5));
            var rate = backlog / 2 / started.Elapsed.TotalSeconds;
            wan.Cut();
            var states = new List<string>();
            for (var waited = TimeSpan.Zero; waited < CutFor; waited += TimeSpan.FromSeconds(1))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                if (useShovel)
                {
                    states.Add(await ShovelStateAsync(site));
                }
            }
            var before = counter.Deliveries;
            wan.Restore();
            var restored = Stopwatch.StartNew();
            await counter.DeliveriesAfter(before).WaitAsync(TimeSpan.FromMinutes(2));
            var resumed = restored.Elapsed;
            await counter.Reached(backlog).WaitAsync(TimeSpan.FromMinutes(5));
            return new Drain(rate, resumed, counter.Deliveries - backlog, useShovel ? string.Join(", ", states) : "-");
        }
        finally
        {
            if (useShovel)
            {
                await site.DeleteAsync($"parameters/shovel/{Uri.EscapeDataString(VirtualHost)}/{Shovel}");
            }
            await stop.CancelAsync();
            await consuming;
        }
    }

    /// <summary>The shovel only: a small backlog, the link dark (no reset) for a while, the shovel's state sampled meanwhile.</summary>
    private static async Task<string> DarkLinkAsync(HttpClient site)
    {
        await using var wan = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.RabbitHost, TestSettings.RabbitPort);
        wan.Start();
        await PutShovelAsync(site, wan.Port);
        try
        {
            await Eventually.Until(() => ShovelStateAsync(site), s => s == "running", "the shovel to run", TimeSpan.FromSeconds(30));
            wan.Cut(CutMode.Blackhole);
            var states = new List<string>();
            for (var waited = TimeSpan.Zero; waited < DarkFor; waited += TimeSpan.FromSeconds(2))
            {
                await Task.Delay(TimeSpan.FromSeconds(2));
                states.Add(await ShovelStateAsync(site));
            }
            wan.Restore();
            return string.Join(", ", states);
        }
        finally
        {
            await site.DeleteAsync($"parameters/shovel/{Uri.EscapeDataString(VirtualHost)}/{Shovel}");
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
                await closed.Task.WaitAsync(stop);
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

    /// <summary>A dynamic shovel on the site node: the central backlog, through the WAN proxy, into the site's landing queue.</summary>
    private static async Task PutShovelAsync(HttpClient site, int wanPort)
    {
        var vhost = Uri.EscapeDataString(VirtualHost);
        var source = $"amqp://{Uri.EscapeDataString(TestSettings.RabbitUser)}:{Uri.EscapeDataString(TestSettings.RabbitPassword)}@127.0.0.1:{wanPort}/{vhost}";
        var response = await site.PutAsJsonAsync($"parameters/shovel/{vhost}/{Shovel}", new
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
        });
        response.EnsureSuccessStatusCode();
    }

    private static async Task<string> ShovelStateAsync(HttpClient site)
    {
        var shovels = await site.GetFromJsonAsync<JsonElement>($"shovels/{Uri.EscapeDataString(VirtualHost)}");
        return shovels.EnumerateArray().Where(s => s.GetProperty("name").GetString() == Shovel)
            .Select(s => s.GetProperty("state").GetString()).FirstOrDefault() ?? "absent";
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
