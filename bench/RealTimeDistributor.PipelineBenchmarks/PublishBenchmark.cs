using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// The central real-time publish alone: N agent rows (messages of 500 rows) to the central real-time exchange, into a
/// queue shaped like a distributor's, through the central host's <see cref="RealTimePublisher"/> (serialize, then raw
/// RabbitMQ.Client with pipelined confirms); before: the same rows through MassTransit's publish, up to 32 messages in
/// flight (the publisher's code until issue 11); baseline: the same messages serialized beforehand, all pipelined on one
/// channel (<see cref="ConfirmingPublisher"/>). One warm-up round each, then rounds until the time budget.
/// </summary>
public static class PublishBenchmark
{
    private const string Queue = "rtd.bench.distributor.realtime";
    private const string Baseline = "raw RabbitMQ.Client: bytes serialized beforehand, pipelined confirms";
    private const string Before = "before: MassTransit publish, 32 messages in flight";
    private const int MaxRounds = 50;

    public static async Task RunAsync(Report report, int[] sizes, TimeSpan budget)
    {
        await using var system = await RtdSystem.StartAsync();
        var broker = system.Central.Services.GetRequiredService<RabbitMqSettings>();
        await using var connection = await RabbitMqConnections.Factory(broker, broker.CentralVirtualHost, "rtd bench setup").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(Topology.Central.RealTimeExchange, Topology.TopicExchange, durable: true);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
        {
            ["x-max-length"] = Topology.Central.DistributorRealTimeQueueMaxLength,
            ["x-overflow"] = "drop-head",
        });
        await channel.QueueBindAsync(Queue, Topology.Central.RealTimeExchange, Topology.AllKeys);

        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.UseRtdBroker(broker, broker.CentralVirtualHost, "rtd bench masstransit", Topology.Central.ControllerBusOwner);
            cfg.Message<RealTimeRowsPublished>(m => m.SetEntityName(Topology.Central.RealTimeExchange));
            cfg.Publish<RealTimeRowsPublished>(p => p.ExchangeType = Topology.TopicExchange);
            cfg.Send<RealTimeRowsPublished>(s => s.UseRoutingKeyFormatter(c => Topology.Central.RealTimeRoutingKey(c.Message.Table)));
        });
        await bus.StartAsync();
        var publisher = system.Central.Services.GetRequiredService<RealTimePublisher>();
        await using var raw = new ConfirmingPublisher(broker, broker.CentralVirtualHost, "rtd bench raw", [Topology.Central.RealTimeExchange],
            NullLogger.Instance);
        try
        {
            foreach (var size in sizes)
            {
                Console.WriteLine($"publish: {size:N0} rows");
                var group = $"central real-time publish ({size:N0} rows)";
                var rows = RealTimeBenchmark.Rows($"x{size}-", size);
                var messages = rows.Chunk(RealTimePublisher.MaxRowsPerMessage)
                    .Select(chunk => RealTimePublisher.ToMessage(new RealTimeRowsPublished(RealTimeTables.Agent, true, DateTimeOffset.UtcNow, chunk))).ToList();
                var before = await RowsPerSecondAsync(channel, size, budget, () => MassTransitPublishAsync(bus, rows));
                var after = await RowsPerSecondAsync(channel, size, budget,
                    () => publisher.PublishAsync(RealTimeTables.Agent, rows, fullRefresh: true, CancellationToken.None));
                var baseline = await RowsPerSecondAsync(channel, size, budget, () => raw.PublishAsync(messages, CancellationToken.None));
                report.Add(group, "RealTimePublisher (raw RabbitMQ.Client, pipelined confirms, 32 messages in flight)", after, "rows/s", Baseline);
                report.Add(group, "RealTimePublisher vs the MassTransit publish before it", after, "rows/s", Before);
                report.Add(group, Before, before, "rows/s", Baseline);
                report.Add(group, Baseline, baseline, "rows/s");
            }
        }
        finally
        {
            await bus.StopAsync(CancellationToken.None);
        }
    }

    private static async Task MassTransitPublishAsync(IBus bus, List<RealTimeRow> rows)
    {
        foreach (var messages in rows.Chunk(RealTimePublisher.MaxRowsPerMessage).Chunk(RealTimePublisher.MaxMessagesInFlight))
        {
            await Task.WhenAll(messages.Select(chunk => bus.Publish(new RealTimeRowsPublished(RealTimeTables.Agent, true, DateTimeOffset.UtcNow, chunk))));
        }
    }

    private static async Task<double> RowsPerSecondAsync(IChannel channel, int rows, TimeSpan budget, Func<Task> round)
    {
        await round();
        var rounds = 0;
        var watch = Stopwatch.StartNew();
        while (rounds < MaxRounds && (rounds == 0 || watch.Elapsed < budget))
        {
            await round();
            rounds++;
        }
        var rate = rows * (double)rounds / watch.Elapsed.TotalSeconds;
        await channel.QueuePurgeAsync(Queue);
        return rate;
    }
}
