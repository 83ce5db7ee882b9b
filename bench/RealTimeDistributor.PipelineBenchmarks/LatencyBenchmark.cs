using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Freshness of configuration, end to end: from the central commit (<see cref="ConfigWriter"/>, the admin API's path
/// without HTTP) to the change being in a client workstation's view, through the relay, the central broker, the
/// distributor's in-order apply and replica commit, the site exchange and the client queue. Central, distributor and
/// client run as real hosts in this process, on the real broker and database, so both ends are read from one clock
/// (<see cref="Stopwatch"/>). Changes are paced: change i is due at start + i / rate, committed by up to
/// <see cref="Writers"/> concurrent writers; a writer behind schedule commits at once, and nothing is committed after the
/// run's duration, so the achieved rate is reported (the center may not sustain the target).
/// The same run measures a low rate first: its percentiles are the baseline of the ratios. The split at the replica
/// (config_apply_log.applied_at, wall clock of this process) shows how much of the time is the distributor's apply. A
/// second baseline is the raw broker over the same two hops at the same pacing (<see cref="RawTwoHopsAsync"/>).
/// </summary>
public static class LatencyBenchmark
{
    public const int Writers = 8;
    private const int Agents = 1_000;

    /// <param name="runs">
    /// Target rate and seconds; <c>PerCommit</c> 1 commits each change through <see cref="ConfigWriter"/>, more commits that
    /// many changes per transaction straight into the central tables and change log (<see cref="CentralBacklog.RenameAgentsAsync"/>),
    /// for rates single edits cannot reach on this machine.
    /// </param>
    public static async Task RunAsync(Report report, (int Rate, int Seconds, int PerCommit)[] runs)
    {
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("latency");
        if ((await system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("seed failed");
        }
        await CentralBacklog.CommitAgentsAsync(system.CentralDatabase, Agents);
        var quiet = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" };
        await system.StartDistributorAsync(site, extra: quiet);
        await system.WaitAppliedAsync(site, Agents + 1, TimeSpan.FromMinutes(5));
        var view = (await system.StartClientAsync(site, "bench", quiet)).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));

        var baseline = "";
        foreach (var (rate, seconds, perCommit) in runs)
        {
            var group = "config freshness: central commit -> client view";
            var name = perCommit == 1 ? $"{rate:N0} changes/s" : $"{rate:N0} changes/s in commits of {perCommit}";
            Console.WriteLine($"latency: {name} for {seconds} s");
            var figures = await MeasureAsync(system, site, view, rate, perCommit, TimeSpan.FromSeconds(seconds));
            report.Add(group, $"{name}: achieved commit rate", figures.AchievedRate, "changes/s");
            foreach (var (label, value) in figures.View.Named())
            {
                report.Add(group, $"{name}: view {label}", value, "ms", baseline == "" ? null : $"{baseline}: view {label}");
            }
            foreach (var (label, value) in figures.Replica.Named())
            {
                report.Add(group, $"{name}: replica apply {label}", value, "ms", baseline == "" ? null : $"{baseline}: replica apply {label}");
            }
            baseline = baseline == "" ? name : baseline;

            var raw = await RawTwoHopsAsync(system, site, rate, TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"  raw     {raw.Latency}");
            report.Add(group, $"{name}: raw broker, 2 hops: achieved rate", raw.AchievedRate, "messages/s");
            foreach (var (label, value) in raw.Latency.Named())
            {
                report.Add(group, $"{name}: raw broker, 2 hops {label}", value, "ms");
            }
            foreach (var (label, _) in raw.Latency.Named())
            {
                report.Add(group, $"{name}: view {label} (vs raw)", figures.View.Named().Single(v => v.Label == label).Value, "ms",
                    $"{name}: raw broker, 2 hops {label}");
            }
        }
    }

    /// <summary>
    /// Real-time freshness: rows published through the central <see cref="RealTimePublisher"/> (the feed's path) in one
    /// message every 100 ms, each row with a new version, until each is in the client's view; from just before the
    /// publish to the view's Changed event. The feed is off, so these are the only real-time rows.
    /// </summary>
    public static async Task RealTimeAsync(Report report, (int RowsPerSecond, int Seconds)[] runs)
    {
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("rtlatency");
        var quiet = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" };
        await system.StartDistributorAsync(site, extra: quiet);
        var view = (await system.StartClientAsync(site, "bench", quiet)).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));
        var publisher = system.Central.Services.GetRequiredService<RealTimePublisher>();
        const string group = "real-time freshness: central publish -> client view";
        const int Keys = 1_000;
        var baseline = "";
        var version = 0L;
        foreach (var (rate, seconds) in runs)
        {
            var name = $"{rate:N0} rows/s";
            Console.WriteLine($"real-time latency: {name} for {seconds} s");
            var perTick = Math.Max(1, rate / 10);
            var ticks = seconds * Math.Min(10, rate);
            var sentAt = new ConcurrentDictionary<long, long>();
            var arrivedAt = new ConcurrentDictionary<long, long>();
            var expected = 0;
            var published = 0;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void OnChanged(ViewRow row)
            {
                if (row.Kind == SiteUpdate.RealTimeKind && arrivedAt.TryAdd(row.Version, Stopwatch.GetTimestamp()) && Volatile.Read(ref published) == 1
                    && arrivedAt.Count >= Volatile.Read(ref expected))
                {
                    done.TrySetResult();
                }
            }
            view.Changed += OnChanged;
            var start = Stopwatch.GetTimestamp();
            var interval = Stopwatch.Frequency / Math.Min(10, rate);
            for (var t = 0; t < ticks; t++)
            {
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (t * interval));
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }
                var rows = Enumerable.Range(0, perTick).Select(k => new RealTimeRow((((t * perTick) + k) % Keys).ToString(CultureInfo.InvariantCulture),
                    ++version, DateTimeOffset.UtcNow, Json.ToElement(new { callsQueuedNow = version % 17 }))).ToList();
                var now = Stopwatch.GetTimestamp();
                foreach (var row in rows)
                {
                    sentAt[row.Version] = now;
                }
                Interlocked.Add(ref expected, rows.Count);
                await publisher.PublishAsync(RealTimeTables.CallType, rows, fullRefresh: false, CancellationToken.None);
            }
            var publishing = Stopwatch.GetElapsedTime(start);
            Volatile.Write(ref published, 1);
            if (arrivedAt.Count >= Volatile.Read(ref expected))
            {
                done.TrySetResult();
            }
            await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
            view.Changed -= OnChanged;
            var latency = Percentiles.Of(sentAt.Select(s => Stopwatch.GetElapsedTime(s.Value, arrivedAt[s.Key]).TotalMilliseconds));
            Console.WriteLine($"  view    {latency}");
            report.Add(group, $"{name}: achieved rate", sentAt.Count / publishing.TotalSeconds, "rows/s");
            foreach (var (label, value) in latency.Named())
            {
                report.Add(group, $"{name}: view {label}", value, "ms", baseline == "" ? null : $"{baseline}: view {label}");
            }
            baseline = baseline == "" ? name : baseline;
        }
    }

    /// <summary>
    /// The transport alone, over the same hops and at the same pacing: a message of a config change's size published with
    /// a confirm to a queue on the central vhost, consumed and republished with a confirm to a queue on the site vhost
    /// (as the distributor does, without the database; acked when the republish is confirmed), consumed there. Confirms
    /// are awaited concurrently, not one at a time. Raw RabbitMQ.Client, one clock.
    /// </summary>
    private static async Task<(double AchievedRate, Percentiles Latency)> RawTwoHopsAsync(RtdSystem system, string site, int rate, TimeSpan duration)
    {
        ConnectionFactory Factory(string vhost) => new()
        {
            HostName = TestSettings.RabbitHost,
            Port = TestSettings.RabbitPort,
            UserName = TestSettings.RabbitUser,
            Password = TestSettings.RabbitPassword,
            VirtualHost = vhost,
        };
        const string first = "rtd.bench.latency.hop1";
        const string second = "rtd.bench.latency.hop2";
        await using var central = await Factory(system.CentralVirtualHost).CreateConnectionAsync();
        await using var siteConnection = await Factory(Topology.Site.VirtualHost(site)).CreateConnectionAsync();
        var confirms = new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true);
        await using var publish = await central.CreateChannelAsync(confirms);
        await using var hop = await central.CreateChannelAsync();
        await using var republish = await siteConnection.CreateChannelAsync(confirms);
        await using var arrive = await siteConnection.CreateChannelAsync();
        await publish.QueueDeclareAsync(first, durable: true, exclusive: false, autoDelete: true);
        await republish.QueueDeclareAsync(second, durable: true, exclusive: false, autoDelete: true);

        var count = (int)(rate * duration.TotalSeconds);
        var sentAt = new long[count];
        var arrivedAt = new long[count];
        var received = 0;
        var sent = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var relay = new AsyncEventingBasicConsumer(hop);
        var acks = new List<Task>();
        relay.ReceivedAsync += (_, delivery) =>
        {
            // acked once the republish is confirmed, as the distributor does, but without holding up the next delivery:
            // confirms are pipelined, as ConfirmingPublisher's are
            var confirmed = republish.BasicPublishAsync("", second, false, new BasicProperties { Persistent = true }, delivery.Body.ToArray());
            var tag = delivery.DeliveryTag;
            lock (acks)
            {
                acks.Add(Task.Run(async () =>
                {
                    await confirmed;
                    await hop.BasicAckAsync(tag, false);
                }));
            }
            return Task.CompletedTask;
        };
        var last = new AsyncEventingBasicConsumer(arrive);
        last.ReceivedAsync += async (_, delivery) =>
        {
            arrivedAt[BitConverter.ToInt32(delivery.Body.Span)] = Stopwatch.GetTimestamp();
            await arrive.BasicAckAsync(delivery.DeliveryTag, false);
            if (Interlocked.Increment(ref received) == Volatile.Read(ref sent) && sent > 0)
            {
                done.TrySetResult();
            }
        };
        await hop.BasicConsumeAsync(first, false, relay);
        await arrive.BasicConsumeAsync(second, false, last);

        var body = Json.Serialize(new ConfigChanged(2, 1, "agent", ConfigOperations.Upsert, "1001",
            Json.ToElement(new { id = 1001, name = "Agent 1001 r1000 #12345", peripheralId = 1, configSequence = 2 }), DateTimeOffset.UtcNow));
        var pending = new List<Task>(count);
        var start = Stopwatch.GetTimestamp();
        var i = 0;
        for (; i < count && Stopwatch.GetElapsedTime(start) < duration; i++)
        {
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), start + (long)(i * (double)Stopwatch.Frequency / rate));
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }
            var message = (byte[])body.Clone();
            BitConverter.TryWriteBytes(message, i);
            sentAt[i] = Stopwatch.GetTimestamp();
            pending.Add(publish.BasicPublishAsync("", first, false, new BasicProperties { Persistent = true }, message).AsTask());
        }
        var publishing = Stopwatch.GetElapsedTime(start);
        await Task.WhenAll(pending);
        Volatile.Write(ref sent, i);
        if (Volatile.Read(ref received) == i)
        {
            done.TrySetResult();
        }
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        Task[] acked;
        lock (acks)
        {
            acked = [.. acks];
        }
        await Task.WhenAll(acked);
        return (i / publishing.TotalSeconds, Percentiles.Of(Enumerable.Range(0, i).Select(k => Stopwatch.GetElapsedTime(sentAt[k], arrivedAt[k]).TotalMilliseconds)));
    }

    private static async Task<Figures> MeasureAsync(RtdSystem system, string site, ClientView view, int rate, int perCommit, TimeSpan duration)
    {
        var count = (int)(rate * duration.TotalSeconds);
        var committedAt = new long[count];
        var committedWall = new DateTimeOffset[count];
        var sequences = new long[count];
        var arrived = new ConcurrentDictionary<long, long>();
        var expected = new ConcurrentDictionary<long, int>();
        var counted = new ConcurrentDictionary<long, bool>();
        var remaining = count;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // called by the view and by the writer, each after its own write: whichever comes second counts the change once
        void Count(long sequence)
        {
            if (arrived.ContainsKey(sequence) && expected.ContainsKey(sequence) && counted.TryAdd(sequence, true) && Interlocked.Decrement(ref remaining) == 0)
            {
                done.TrySetResult();
            }
        }
        void OnChanged(ViewRow row)
        {
            if (row.Kind == SiteUpdate.ConfigKind && arrived.TryAdd(row.Version, Stopwatch.GetTimestamp()))
            {
                Count(row.Version);
            }
        }
        view.Changed += OnChanged;
        var next = -1;
        var start = Stopwatch.GetTimestamp();
        try
        {
            void Committed(int i, long sequence)
            {
                committedAt[i] = Stopwatch.GetTimestamp();
                committedWall[i] = DateTimeOffset.UtcNow;
                sequences[i] = sequence;
                expected[sequence] = i;
                Count(sequence);
            }
            async Task WaitUntilDueAsync(int i)
            {
                var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }
            }
            if (perCommit == 1)
            {
                await Task.WhenAll(Enumerable.Range(0, Math.Min(Writers, rate)).Select(async _ =>
                {
                    await using var scope = system.Central.Services.CreateAsyncScope();
                    var writer = scope.ServiceProvider.GetRequiredService<ConfigWriter>();
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count && Stopwatch.GetElapsedTime(start) < duration)
                    {
                        await WaitUntilDueAsync(i);
                        var id = 1001 + (i % Agents);
                        var result = await writer.UpsertAsync("agent", id, Json.ToElement(new { name = $"Agent {id} r{rate} #{i}", peripheralId = 1 }), null,
                            new EditAuthor("bench", null, Force: true),
                            CancellationToken.None);
                        var committed = result as EditResult.Committed ?? throw new InvalidOperationException($"edit {i} failed: {result}");
                        Committed(i, committed.Sequence);
                    }
                }));
            }
            else
            {
                var signal = system.Central.Services.GetRequiredService<ChangeLogSignal>();
                await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
                {
                    await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(system.CentralDatabase));
                    await connection.OpenAsync();
                    int batch;
                    while ((batch = Interlocked.Increment(ref next)) * perCommit < count && Stopwatch.GetElapsedTime(start) < duration)
                    {
                        var changes = Enumerable.Range(batch * perCommit, Math.Min(perCommit, count - batch * perCommit)).ToArray();
                        await WaitUntilDueAsync(changes[0]);
                        var ids = changes.Select(i => 1001L + (i % Agents)).ToArray();
                        var sequenceOf = await CentralBacklog.RenameAgentsAsync(connection, ids, [.. changes.Select(i => $"Agent {1001 + (i % Agents)} r{rate} #{i}")]);
                        signal.Notify();
                        for (var k = 0; k < changes.Length; k++)
                        {
                            Committed(changes[k], sequenceOf[k]);
                        }
                    }
                }));
            }
            var committing = Stopwatch.GetElapsedTime(start);
            var measured = Enumerable.Range(0, count).Where(i => sequences[i] != 0).ToArray();
            if (Interlocked.Add(ref remaining, measured.Length - count) == 0)
            {
                done.TrySetResult(); // the deadline left some changes uncommitted: wait only for those that were
            }
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5));
            var atView = Percentiles.Of(measured.Select(i => Stopwatch.GetElapsedTime(committedAt[i], arrived[sequences[i]]).TotalMilliseconds));
            var applied = await AppliedAtAsync(system, site, measured.Min(i => sequences[i]), measured.Max(i => sequences[i]));
            var replica = Percentiles.Of(measured.Select(i => (applied[sequences[i]] - committedWall[i]).TotalMilliseconds));
            Console.WriteLine($"  view    {atView}");
            Console.WriteLine($"  replica {replica}");
            return new Figures(measured.Length / committing.TotalSeconds, atView, replica);
        }
        finally
        {
            view.Changed -= OnChanged;
        }
    }

    private static async Task<Dictionary<long, DateTimeOffset>> AppliedAtAsync(RtdSystem system, string site, long from, long to)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(system.ReplicaDatabase(site)));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT central_sequence, applied_at FROM config_apply_log WHERE central_sequence BETWEEN @from AND @to", connection);
        command.Parameters.AddWithValue("from", from);
        command.Parameters.AddWithValue("to", to);
        await using var reader = await command.ExecuteReaderAsync();
        var applied = new Dictionary<long, DateTimeOffset>();
        while (await reader.ReadAsync())
        {
            applied[reader.GetInt64(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }
        return applied;
    }

    private sealed record Figures(double AchievedRate, Percentiles View, Percentiles Replica);
}

/// <summary>p50 / p95 / p99 / max of a set of samples (nearest rank).</summary>
public sealed record Percentiles(int Samples, double P50, double P95, double P99, double Max)
{
    public static Percentiles Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        double Rank(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new(sorted.Length, Rank(0.50), Rank(0.95), Rank(0.99), sorted[^1]);
    }

    public IEnumerable<(string Label, double Value)> Named() => [("p50", P50), ("p95", P95), ("p99", P99), ("max", Max)];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Samples} samples: p50 {P50:0.0} ms, p95 {P95:0.0} ms, p99 {P99:0.0} ms, max {Max:0.0} ms");
}
