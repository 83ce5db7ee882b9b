using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RealTimeDistributor.Central;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Benchmarks;

/// <summary>
/// realtime-engine: for each agent count, (1) the engine alone: simulated one-second intervals of activity + collect,
/// as fast as it runs, giving rows computed per second; (2) every row of a full refresh published through
/// <see cref="RealTimePublisher"/> (the central feed's path: serialize, then raw RabbitMQ.Client with pipelined confirms) to a queue shaped like a distributor's;
/// (3) the baseline: the same messages, serialized beforehand, published with raw RabbitMQ.Client and pipelined
/// confirms (<see cref="ConfirmingPublisher"/>). Every loop stops at its count or at the time budget, whichever first.
/// </summary>
public static class RealTimeEngineBenchmark
{
    private const int WarmUpIntervals = 60;
    private const int MaxIntervals = 600;
    private const int MaxPublishRounds = 50;
    private const string Queue = "rtd.bench.distributor.realtime";
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    public static async Task RunAsync(IReadOnlyList<int> agentCounts, TimeSpan budget, CancellationToken cancellationToken)
    {
        await using var vhost = await BenchVirtualHost.CreateAsync(cancellationToken);
        var broker = BenchSettings.Broker with { CentralVirtualHost = vhost.Name };
        Console.WriteLine($"broker {broker.Endpoint(vhost.Name)}, time budget {budget.TotalSeconds} s per measurement, {Environment.ProcessorCount} cores");

        await using var setup = await RabbitMqConnections.Factory(broker, vhost.Name, "rtd bench setup").CreateConnectionAsync(cancellationToken);
        await using var channel = await setup.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(Topology.Central.RealTimeExchange, Topology.TopicExchange, durable: true, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, new Dictionary<string, object?>
        {
            ["x-max-length"] = Topology.Central.DistributorRealTimeQueueMaxLength,
            ["x-overflow"] = "drop-head",
        }, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(Queue, Topology.Central.RealTimeExchange, Topology.AllKeys, cancellationToken: cancellationToken);

        await using var publisher = new RealTimePublisher(broker, new CentralStats(), TimeProvider.System, NullLogger<RealTimePublisher>.Instance);
        await using var baseline = new ConfirmingPublisher(broker, vhost.Name, "rtd bench baseline", [Topology.Central.RealTimeExchange], NullLogger.Instance);
        var results = new List<Result>();
        foreach (var agents in agentCounts)
        {
            var (engine, tables) = MeasureEngine(agents, budget);
            var pipeline = await MeasurePipelineAsync(publisher, tables, budget, cancellationToken);
            await channel.QueuePurgeAsync(Queue, cancellationToken);
            var raw = await MeasureBaselineAsync(baseline, tables, budget, cancellationToken);
            await channel.QueuePurgeAsync(Queue, cancellationToken);
            results.Add(new Result(agents, engine, pipeline, raw));
            Console.WriteLine($"  {agents} agents done");
        }
        Print(results);
    }

    private static (EngineFigures Figures, IReadOnlyList<TableRows> FullRefresh) MeasureEngine(int agents, TimeSpan budget)
    {
        var clock = new ManualClock(Start);
        var options = new RealTimeOptions(TimeSpan.FromSeconds(1), 30, Simulate: true, Seed: 42, CallsPerSecond: Math.Max(1, agents / 200), TimeSpan.FromSeconds(30));
        var source = new SimulatedActivity(options);
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        var configuration = StatisticsConfiguration.Synthetic(agents);
        source.Configure(configuration, Start);
        engine.Configure(configuration, Start);
        for (var i = 0; i < WarmUpIntervals; i++)
        {
            Interval(clock, source, engine, new Stopwatch(), new Stopwatch());
        }

        var (intervals, changed, events) = (0, 0L, 0L);
        var (watch, simulate, collect) = (Stopwatch.StartNew(), new Stopwatch(), new Stopwatch());
        while (intervals < MaxIntervals && watch.Elapsed < budget)
        {
            var (rows, activity) = Interval(clock, source, engine, simulate, collect);
            (intervals, changed, events) = (intervals + 1, changed + rows, events + activity);
        }
        watch.Stop();
        var full = Stopwatch.StartNew();
        var tables = engine.Collect(clock.Now, fullRefresh: true);
        full.Stop();
        var seconds = watch.Elapsed.TotalSeconds;
        return (new EngineFigures(engine.RowCount, engine.RowCount * (double)intervals / seconds, changed / seconds, events / seconds,
            simulate.Elapsed.TotalMilliseconds / intervals, collect.Elapsed.TotalMilliseconds / intervals, full.Elapsed.TotalMilliseconds), tables);
    }

    /// <summary>One simulated second: the simulation and applying its events (timed in <paramref name="simulate"/>), then the collect.</summary>
    private static (int ChangedRows, int Events) Interval(ManualClock clock, SimulatedActivity source, StatisticsEngine engine, Stopwatch simulate,
        Stopwatch collect)
    {
        clock.Now += TimeSpan.FromSeconds(1);
        simulate.Start();
        var activity = source.ReadAsync(clock.Now, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        foreach (var e in activity)
        {
            engine.Apply(e);
        }
        simulate.Stop();
        collect.Start();
        var changed = engine.Collect(clock.Now, fullRefresh: false).Sum(t => t.Rows.Count);
        collect.Stop();
        return (changed, activity.Count);
    }

    private static async Task<PublishFigures> MeasurePipelineAsync(RealTimePublisher publisher, IReadOnlyList<TableRows> tables, TimeSpan budget,
        CancellationToken cancellationToken)
    {
        var rows = tables.Sum(t => t.Rows.Count);
        foreach (var table in tables)
        {
            await publisher.PublishAsync(table.Table, table.Rows, fullRefresh: true, cancellationToken);
        }
        var rounds = 0;
        var watch = Stopwatch.StartNew();
        while (rounds < MaxPublishRounds && (rounds == 0 || watch.Elapsed < budget))
        {
            foreach (var table in tables)
            {
                await publisher.PublishAsync(table.Table, table.Rows, fullRefresh: true, cancellationToken);
            }
            rounds++;
        }
        return new PublishFigures(rows * (double)rounds / watch.Elapsed.TotalSeconds, 0, 0);
    }

    private static async Task<PublishFigures> MeasureBaselineAsync(ConfirmingPublisher publisher, IReadOnlyList<TableRows> tables, TimeSpan budget,
        CancellationToken cancellationToken)
    {
        Serialize(tables);
        var serialize = Stopwatch.StartNew();
        var messages = Serialize(tables);
        serialize.Stop();
        var rows = tables.Sum(t => t.Rows.Count);
        await publisher.PublishAsync(messages, cancellationToken);
        var rounds = 0;
        var watch = Stopwatch.StartNew();
        while (rounds < MaxPublishRounds && (rounds == 0 || watch.Elapsed < budget))
        {
            await publisher.PublishAsync(messages, cancellationToken);
            rounds++;
        }
        return new PublishFigures(rows * (double)rounds / watch.Elapsed.TotalSeconds, messages.Sum(m => m.Body.Length) / (double)rows,
            rows / serialize.Elapsed.TotalSeconds);
    }

    private static List<OutgoingMessage> Serialize(IReadOnlyList<TableRows> tables)
    {
        var publishedAt = DateTimeOffset.UtcNow;
        return tables
            .SelectMany(t => t.Rows.Chunk(RealTimePublisher.MaxRowsPerMessage).Select(chunk => (t.Table, Rows: chunk)))
            .Select(m => RealTimePublisher.ToMessage(new Contracts.RealTimeRowsPublished(m.Table, true, publishedAt, m.Rows)))
            .ToList();
    }

    private static void Print(IReadOnlyList<Result> results)
    {
        Console.WriteLine();
        Console.WriteLine("| agents | rows | engine rows computed/s | changed rows/s | events/s | ms per 1 s interval: simulate + apply / collect | full-refresh collect ms | rows published/s (RealTimePublisher) | rows/s raw RabbitMQ.Client, pipelined confirms | ratio | bytes/row | rows serialized/s |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Agents:N0} | {r.Engine.Rows:N0} | {r.Engine.RowsPerSecond:N0} | {r.Engine.ChangedRowsPerSecond:N0} | {r.Engine.EventsPerSecond:N0} | {r.Engine.SimulateMilliseconds:N2} / {r.Engine.CollectMilliseconds:N2} | {r.Engine.FullRefreshMilliseconds:N1} | {r.Pipeline.RowsPerSecond:N0} | {r.Baseline.RowsPerSecond:N0} | {r.Pipeline.RowsPerSecond / r.Baseline.RowsPerSecond:N2} | {r.Baseline.BytesPerRow:N0} | {r.Baseline.RowsSerializedPerSecond:N0} |"));
        }
    }

    private sealed record EngineFigures(int Rows, double RowsPerSecond, double ChangedRowsPerSecond, double EventsPerSecond, double SimulateMilliseconds,
        double CollectMilliseconds, double FullRefreshMilliseconds);

    private sealed record PublishFigures(double RowsPerSecond, double BytesPerRow, double RowsSerializedPerSecond);

    private sealed record Result(int Agents, EngineFigures Engine, PublishFigures Pipeline, PublishFigures Baseline);
}
