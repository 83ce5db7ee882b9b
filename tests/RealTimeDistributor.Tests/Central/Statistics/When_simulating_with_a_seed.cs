using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_simulating_with_a_seed
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T10:00:00Z");

    [Fact]
    public async Task Should_produce_the_same_statistics_twice()
    {
        var first = await SimulateAsync(seed: 42);
        var second = await SimulateAsync(seed: 42);

        Assert.Equal(first, second);
        Assert.Contains(first, line => line.StartsWith("calltype", StringComparison.Ordinal) && !line.Contains("\"callsHandledToday\":0", StringComparison.Ordinal));
        Assert.Contains(first, line => line.Contains("\"state\":\"not-ready\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_produce_different_statistics_with_another_seed()
    {
        Assert.NotEqual(await SimulateAsync(seed: 42), await SimulateAsync(seed: 43));
    }

    /// <summary>15 simulated minutes of 200 agents at 2 calls per second, one interval per second; every row's data at the end.</summary>
    private static async Task<List<string>> SimulateAsync(int seed)
    {
        var clock = new ManualClock(Start);
        var options = new RealTimeOptions(TimeSpan.FromSeconds(1), 30, Simulate: true, seed, CallsPerSecond: 2, TimeSpan.FromSeconds(30));
        var source = new SimulatedActivity(options);
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        var configuration = StatisticsConfiguration.Synthetic(200);
        source.Configure(configuration, Start);
        engine.Configure(configuration, Start);
        IReadOnlyList<TableRows> tables = [];
        for (var second = 1; second <= 900; second++)
        {
            clock.Now = Start.AddSeconds(second);
            foreach (var activity in await source.ReadAsync(clock.Now, CancellationToken.None))
            {
                engine.Apply(activity);
            }
            tables = engine.Collect(clock.Now, fullRefresh: second == 900);
        }
        Assert.Equal(RealTimeTables.All, tables.Select(t => t.Table));
        return [.. tables.SelectMany(t => t.Rows.Select(r => $"{t.Table} {r.Key} {r.Data.GetRawText()}")).Order(StringComparer.Ordinal)];
    }
}
