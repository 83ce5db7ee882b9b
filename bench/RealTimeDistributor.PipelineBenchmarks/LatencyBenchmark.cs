using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Client;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;

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
/// (config_apply_log.applied_at, wall clock of this process) shows how much of the time is the distributor's apply.
/// </summary>
public static class LatencyBenchmark
{
    public const int Writers = 8;
    private const int Agents = 1_000;

    public static async Task RunAsync(Report report, (int Rate, int Seconds)[] runs)
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
        await Eventually.Until(() => system.QueryReplicaAsync<long>(site, "SELECT applied_config_sequence FROM sync_state"), a => a == Agents + 1,
            "the distributor to hold the agents", TimeSpan.FromMinutes(5));
        var view = (await system.StartClientAsync(site, "bench", quiet)).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));

        var baseline = "";
        foreach (var (rate, seconds) in runs)
        {
            var group = "config freshness: central commit -> client view";
            var name = $"{rate:N0} changes/s";
            Console.WriteLine($"latency: {rate:N0} changes/s for {seconds} s");
            var figures = await MeasureAsync(system, site, view, rate, TimeSpan.FromSeconds(seconds));
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
        }
    }

    private static async Task<Figures> MeasureAsync(RtdSystem system, string site, ClientView view, int rate, TimeSpan duration)
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
            await Task.WhenAll(Enumerable.Range(0, Math.Min(Writers, rate)).Select(async _ =>
            {
                await using var scope = system.Central.Services.CreateAsyncScope();
                var writer = scope.ServiceProvider.GetRequiredService<ConfigWriter>();
                int i;
                while ((i = Interlocked.Increment(ref next)) < count && Stopwatch.GetElapsedTime(start) < duration)
                {
                    var due = start + (long)(i * (double)Stopwatch.Frequency / rate);
                    var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                    if (wait > TimeSpan.FromMilliseconds(1))
                    {
                        await Task.Delay(wait);
                    }
                    var id = 1001 + (i % Agents);
                    var result = await writer.UpsertAsync("agent", id, Json.ToElement(new { name = $"Agent {id} r{rate} #{i}", peripheralId = 1 }), null,
                        CancellationToken.None);
                    var committed = result as EditResult.Committed ?? throw new InvalidOperationException($"edit {i} failed: {result}");
                    committedAt[i] = Stopwatch.GetTimestamp();
                    committedWall[i] = DateTimeOffset.UtcNow;
                    sequences[i] = committed.Sequence;
                    expected[committed.Sequence] = i;
                    Count(committed.Sequence);
                }
            }));
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
