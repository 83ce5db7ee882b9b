using System.Net;
using RabbitMQ.Client;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Configuration changes: the relay publishing a committed backlog (in order, confirmed), and a distributor applying the
/// backlog in order; baseline: raw RabbitMQ.Client consuming the same bytes with one ack per message.
/// </summary>
public static class ConfigBenchmark
{
    public static async Task RunAsync(Report report, int count)
    {
        Console.WriteLine($"config: backlog of {count:N0} changes");
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("bench");
        if ((await system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("seed failed");
        }
        var distributor = await system.StartDistributorAsync(site, extra: new() { ["Serilog:MinimumLevel:Default"] = "Error" });
        await system.WaitAppliedAsync(site, 1);
        await system.StopAsync(distributor);

        var group = $"config changes ({count:N0})";
        await CentralBacklog.CommitAgentsAsync(system.CentralDatabase, count);
        var published = await Report.TimeAsync(() => Eventually.Until(() => CentralBacklog.SequenceAsync(system), s => s.Published == count + 1,
            "the relay", TimeSpan.FromMinutes(5)));
        report.Add(group, "relay: published in order with confirms", count / published.TotalSeconds, "changes/s");

        var started = System.Diagnostics.Stopwatch.StartNew();
        await system.StartDistributorAsync(site, extra: new() { ["Serilog:MinimumLevel:Default"] = "Error" });
        var afterStart = started.Elapsed;
        var appliedAtStart = await system.AppliedSequenceAsync(site);
        await system.WaitAppliedAsync(site, count + 1, TimeSpan.FromMinutes(10));
        var total = started.Elapsed;
        report.Add(group, "distributor: applied in order from backlog (incl. host start)", count / total.TotalSeconds, "changes/s", "raw broker: consume + ack");
        report.Add(group, $"distributor: applied in order once started ({count + 1 - appliedAtStart:N0} changes)",
            (count + 1 - appliedAtStart) / (total - afterStart).TotalSeconds, "changes/s", "raw broker: consume + ack");

        var raw = await RawConsumeAsync(system, count);
        report.Add(group, "raw broker: consume + ack", count / raw.TotalSeconds, "messages/s");
    }

    /// <summary>The same bytes through a scratch queue: publish with confirms, then consume with one ack per message.</summary>
    private static async Task<TimeSpan> RawConsumeAsync(RtdSystem system, int count)
    {
        var factory = TestSettings.RabbitConnection(system.CentralVirtualHost);
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        const string queue = "rtd.bench.raw";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: true);
        var body = Json.Serialize(new ConfigChanged(2, 1, "agent", ConfigOperations.Upsert, "1001",
            Json.ToElement(new { id = 1001, name = "Agent 1", peripheralId = 1, configSequence = 2 }), DateTimeOffset.UtcNow));
        var pending = new List<ValueTask>(count);
        for (var i = 0; i < count; i++)
        {
            pending.Add(channel.BasicPublishAsync("", queue, false, new BasicProperties { Persistent = true }, body));
        }
        foreach (var p in pending)
        {
            await p;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = 0;
        await using var consumeChannel = await connection.CreateChannelAsync();
        await consumeChannel.BasicQosAsync(0, 200, false);
        var consumer = new RabbitMQ.Client.Events.AsyncEventingBasicConsumer(consumeChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            System.Text.Json.JsonDocument.Parse(delivery.Body).Dispose();
            await consumeChannel.BasicAckAsync(delivery.DeliveryTag, false);
            if (++received == count)
            {
                done.TrySetResult();
            }
        };
        return await Report.TimeAsync(async () =>
        {
            await consumeChannel.BasicConsumeAsync(queue, false, consumer);
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
        });
    }
}
