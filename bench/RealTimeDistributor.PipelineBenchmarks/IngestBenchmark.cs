using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 16: how fast the center ingests peripheral events and turns them into published rows, at 12,000 agents. One
/// peripheral's session (a resync of every agent, then per call: offered, agent talking, answered, wrap-up, completed,
/// ready; a last agent-state marked by its reason code) is published beforehand with confirms to the activity exchange,
/// where it fills the center's queue and, bound beside it, a queue of the benchmark's own. Baseline: a raw
/// RabbitMQ.Client consume of that queue, as the center's consumer takes it (prefetch <see cref="Topology.Activity.InFlight"/>,
/// one ack per message, nothing else). Then the central controller starts as a process of its own on the filled queue:
/// from its first applied event (GET /stats, polled) to the marker's row on the central real-time exchange. Then the same
/// events (a new session) over HTTP, POST /api/activity in batches of 1,000, one request at a time.
/// </summary>
public static class IngestBenchmark
{
    private const string RawQueue = "rtd.bench.activity-raw";
    private const string WatchQueue = "rtd.bench.realtime-watch";
    private const string Baseline = "raw RabbitMQ.Client consume of the same messages (prefetch 1,000, one ack each)";
    private const int HttpBatch = 1_000;
    private const long Peripheral = 1;
    private const int AmqpMarker = 4242;
    private const int HttpMarker = 4243;

    public static async Task RunAsync(Report report, int agents, int calls)
    {
        var group = $"ingest: peripheral events -> published rows ({agents:N0} agents)";
        await using var system = await RtdSystem.StartAsync();
        var center = ScaleBenchmark.CenterSize.Of(agents);
        Console.WriteLine($"ingest: seeding a center of {center}");
        await center.SeedAsync(system);
        // the engine reads its configuration when it starts: the center runs as a process of its own, on the filled queue
        await system.StopAsync(system.Central);

        var events = Events(center, "bench-amqp", calls, AmqpMarker);
        await using var connection = await TestSettings.RabbitConnection(system.CentralVirtualHost).CreateConnectionAsync("rtd bench ingest");
        await using var channel = await connection.CreateChannelAsync();
        await QueueDeclarations.DeclareActivityQueueAsync(connection, channel, CancellationToken.None);
        await channel.QueueDeclareAsync(RawQueue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(RawQueue, Topology.Activity.Exchange, Topology.Activity.AllPeripherals);
        await using (var gateway = new ConfirmingPublisher(system.BrokerSettings(), system.CentralVirtualHost, "rtd bench gateway",
            [Topology.Activity.Exchange], NullLogger.Instance))
        {
            var published = await Report.TimeAsync(async () =>
            {
                foreach (var chunk in events.Chunk(10_000))
                {
                    await gateway.PublishAsync([.. chunk.Select(PeripheralGateway.ToMessage)], CancellationToken.None);
                }
            });
            Console.WriteLine($"  {events.Count:N0} events published (confirmed, into 2 queues) in {published.TotalSeconds:N1} s");
        }

        var raw = await RawConsumeAsync(connection, events.Count);
        report.Add(group, Baseline, events.Count / raw.TotalSeconds, "events/s");

        await channel.ExchangeDeclareAsync(Topology.Central.RealTimeExchange, Topology.TopicExchange, durable: true);
        await channel.QueueDeclareAsync(WatchQueue, durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(WatchQueue, Topology.Central.RealTimeExchange, RealTimeTables.Agent);
        var key = Guid.NewGuid().ToString("N");
        var port = FreePort();
        var central = system.StartProcess("RealTimeDistributor.Central", new()
        {
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["ConnectionStrings__Central"] = TestSettings.ConnectionString(system.CentralDatabase),
            ["RealTime__Source"] = ActivityOptions.Gateways,
            ["RealTime__Interval"] = "00:00:01",
            ["Admin__Keys__bench-gateway__Hash"] = AdminApiKey.HashOf(key),
            ["Admin__Keys__bench-gateway__Role"] = "ingest",
            ["Admin__Keys__bench-gateway__Peripheral"] = Peripheral.ToString(CultureInfo.InvariantCulture),
            ["Serilog__MinimumLevel__Default"] = "Error",
        });
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        http.DefaultRequestHeaders.Add(AdminApiKey.Header, key);

        var amqpMarker = WatchAsync(connection, AmqpMarker);
        var (first, applied) = await FirstAppliedAsync(http);
        var cpu = ScaleBenchmark.ProcessUsage.Read(central.Id);
        var watch = Stopwatch.StartNew();
        await amqpMarker.WaitAsync(TimeSpan.FromMinutes(10));
        var elapsed = DateTimeOffset.UtcNow - first; // from the first applied event to the marker's row
        var used = ScaleBenchmark.ProcessUsage.Read(central.Id).CpuSeconds - cpu.CpuSeconds;
        var stats = await StatsAsync(http);
        if (stats.GetProperty("activityApplied").GetInt64() != events.Count || stats.GetProperty("activityRefused").GetInt64() != 0)
        {
            throw new InvalidOperationException($"the center applied {stats.GetProperty("activityApplied")} of {events.Count} events, refused {stats.GetProperty("activityRefused")}");
        }
        var amqp = (events.Count - applied) / elapsed.TotalSeconds;
        report.Add(group, "center over AMQP: consumed, applied, published as rows", amqp, "events/s", Baseline);
        report.Add(group, "center over AMQP: CPU while ingesting", used / watch.Elapsed.TotalSeconds * 100, "% of a core");

        var again = Events(center, "bench-http", calls, HttpMarker);
        var httpMarker = WatchAsync(connection, HttpMarker);
        var posted = Stopwatch.StartNew();
        foreach (var batch in again.Chunk(HttpBatch))
        {
            using var response = await http.PostAsync(ActivityHttpIngest.Path,
                new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(batch, Json.Options)) { Headers = { ContentType = new("application/json") } });
            response.EnsureSuccessStatusCode();
        }
        var postedIn = posted.Elapsed;
        await httpMarker.WaitAsync(TimeSpan.FromMinutes(10));
        report.Add(group, $"center over HTTP: POST /api/activity ({HttpBatch:N0} a request, one at a time), applied, published as rows",
            again.Count / posted.Elapsed.TotalSeconds, "events/s", Baseline);
        Console.WriteLine($"  HTTP: {again.Count:N0} events posted in {postedIn.TotalSeconds:N1} s, on the rows {posted.Elapsed.TotalSeconds:N1} s after the first");
        central.Kill(entireProcessTree: true);
        await central.WaitForExitAsync();
    }

    /// <summary>
    /// One session of the peripheral: a resync (every agent ready), then per call six events, then agent 1 not ready with
    /// <paramref name="marker"/> as its reason code; event times spread over the ten minutes before now.
    /// </summary>
    private static List<PeripheralEvent> Events(ScaleBenchmark.CenterSize center, string session, int calls, int marker)
    {
        var count = 2 + (calls * 6);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var step = TimeSpan.FromMinutes(9) / count;
        var events = new List<PeripheralEvent>(count);
        PeripheralEvent Next(string type) => new(Peripheral, session, events.Count + 1, type, start + (step * events.Count));
        events.Add(Next(PeripheralEventTypes.Resync) with
        {
            Agents = [.. Enumerable.Range(1, center.Agents).Select(a => new PeripheralAgentState(a, AgentStates.Ready, 0, SkillGroupOf(center, a), start))],
            Calls = [],
        });
        for (var i = 0; i < calls; i++)
        {
            long agent = 1 + (i % center.Agents), call = i + 1, callType = 1 + (i % center.CallTypes);
            var group = SkillGroupOf(center, agent);
            events.Add(Next(PeripheralEventTypes.CallOffered) with { CallId = call, CallTypeId = callType, SkillGroupId = group });
            events.Add(Next(PeripheralEventTypes.AgentState) with { AgentId = agent, State = AgentStates.Talking, ReasonCode = 0, SkillGroupId = group });
            events.Add(Next(PeripheralEventTypes.CallAnswered) with { CallId = call, AgentId = agent });
            events.Add(Next(PeripheralEventTypes.AgentState) with { AgentId = agent, State = AgentStates.WrapUp, ReasonCode = 0, SkillGroupId = group });
            events.Add(Next(PeripheralEventTypes.CallCompleted) with { CallId = call });
            events.Add(Next(PeripheralEventTypes.AgentState) with { AgentId = agent, State = AgentStates.Ready, ReasonCode = 0, SkillGroupId = group });
        }
        events.Add(Next(PeripheralEventTypes.AgentState) with { AgentId = 1, State = AgentStates.NotReady, ReasonCode = marker });
        return events;
    }

    /// <summary>The agent's first skill group as the seeded memberships have it.</summary>
    private static long SkillGroupOf(ScaleBenchmark.CenterSize center, long agent) => 1 + ((agent - 1) % center.SkillGroups);

    /// <summary>Consumes <paramref name="count"/> messages of the benchmark's queue as the center's consumer does, without ingesting them.</summary>
    private static async Task<TimeSpan> RawConsumeAsync(IConnection connection, int count)
    {
        await using var channel = await connection.CreateChannelAsync();
        await channel.BasicQosAsync(0, Topology.Activity.InFlight, false);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
            if (++received == count)
            {
                done.TrySetResult();
            }
        };
        var watch = Stopwatch.StartNew();
        var tag = await channel.BasicConsumeAsync(RawQueue, autoAck: false, consumer);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(10));
        var elapsed = watch.Elapsed;
        await channel.BasicCancelAsync(tag);
        return elapsed;
    }

    /// <summary>Completes when an agent row with reason code <paramref name="marker"/> is published on the central real-time exchange.</summary>
    private static async Task WatchAsync(IConnection connection, int marker)
    {
        var channel = await connection.CreateChannelAsync();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var needle = Encoding.UTF8.GetBytes($"\"reasonCode\":{marker}");
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            if (delivery.Body.Span.IndexOf(needle) >= 0)
            {
                seen.TrySetResult();
            }
            return Task.CompletedTask;
        };
        await channel.QueuePurgeAsync(WatchQueue);
        var tag = await channel.BasicConsumeAsync(WatchQueue, autoAck: true, consumer);
        await seen.Task;
        await channel.BasicCancelAsync(tag);
        await channel.DisposeAsync();
    }

    /// <summary>Polls the center's /stats (every 10 ms) until it has applied an event: that time, and how many it had by then.</summary>
    private static async Task<(DateTimeOffset At, long Applied)> FirstAppliedAsync(HttpClient http)
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                var applied = (await StatsAsync(http)).GetProperty("activityApplied").GetInt64();
                if (applied > 0)
                {
                    return (DateTimeOffset.UtcNow, applied);
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(10);
        }
        throw new TimeoutException("the center applied no event within 2 minutes");
    }

    private static async Task<JsonElement> StatsAsync(HttpClient http) => await http.GetFromJsonAsync<JsonElement>("/stats");

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
