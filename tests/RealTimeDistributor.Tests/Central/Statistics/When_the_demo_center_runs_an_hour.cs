using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Gateways;
using Xunit.Abstractions;

namespace RealTimeDistributor.Tests.Central.Statistics;

/// <summary>
/// The demo's contact center (DemoCenter, the rates RealTime:Load derives from its staffing) over a simulated hour:
/// a center the staffing can mostly handle, as a supervisor expects to see, not one in collapse or asleep.
/// </summary>
public sealed class When_the_demo_center_runs_an_hour(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T09:00:00Z");

    /// <summary>
    /// <paramref name="gateways"/>: one simulation per peripheral, each seeded alike, as `rtd-lab demo` runs them
    /// (`rtd-lab simulate --peripheral N`); otherwise one simulation of the whole center, in process.
    /// </summary>
    [Theory]
    [InlineData(DemoCenter.DefaultAgents, 2, 42, false)]
    [InlineData(DemoCenter.DefaultAgents, 2, 7, false)]
    [InlineData(2000, 4, 42, false)]
    [InlineData(2000, 2, 42, true)]
    [InlineData(DemoCenter.DefaultAgents, 2, 42, true)]
    public async Task Should_answer_70_to_90_percent_in_the_service_level_abandon_2_to_8_percent_and_let_queues_build_and_drain(
        int agents, int sites, int seed, bool gateways)
    {
        var configuration = StatisticsConfiguration.From(DemoCenter.Build(agents, sites));
        var clock = new ManualClock(Start);
        var options = new RealTimeOptions(TimeSpan.FromSeconds(1), 30, Simulate: true, seed, CallsPerSecond: 0, TimeSpan.FromSeconds(30));
        var sources = gateways
            ? configuration.Services.Select(s => (Source: new SimulatedActivity(options), Configuration: SimulatedGateway.ForPeripheral(configuration, s.PeripheralId))).ToList()
            : [(new SimulatedActivity(options), configuration)];
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        foreach (var (source, part) in sources)
        {
            source.Configure(part, Start);
        }
        engine.Configure(configuration, Start);

        var queued = new List<long>();
        IReadOnlyList<TableRows> tables = [];
        for (var second = 10; second <= 3600; second += 10)
        {
            clock.Now = Start.AddSeconds(second);
            var activities = new List<ActivityEvent>();
            for (var i = 0; i < sources.Count; i++)
            {
                // each gateway numbers its own calls; the center gives them ids of its own (ActivityIngest), here peripheral-major
                var offset = i * 100_000_000L;
                activities.AddRange((await sources[i].Source.ReadAsync(clock.Now, CancellationToken.None)).Select(a => a switch
                {
                    CallOffered c => c with { CallId = c.CallId + offset },
                    CallAnswered c => c with { CallId = c.CallId + offset },
                    CallAbandoned c => c with { CallId = c.CallId + offset },
                    CallCompleted c => c with { CallId = c.CallId + offset },
                    _ => a,
                }));
            }
            foreach (var activity in activities.OrderBy(a => a.At))
            {
                engine.Apply(activity);
            }
            tables = engine.Collect(clock.Now, fullRefresh: true);
            queued.Add(configuration.SkillGroups.Sum(g => StatisticsHarness.Long(tables, RealTimeTables.SkillGroup, g.Id, "callsQueuedNow")));
            if (second % 300 == 0)
            {
                var states = tables.Single(t => t.Table == RealTimeTables.Agent).Rows.GroupBy(r => r.Data.GetProperty("state").GetString()).Select(g => $"{g.Key} {g.Count()}");
                output.WriteLine($"minute {second / 60}: {string.Join(", ", states)}; SL half {string.Join(" ", configuration.Services.Select(s => StatisticsHarness.Column(tables, RealTimeTables.Service, s.Id, "serviceLevelHalf")))}");
            }
        }

        output.WriteLine($"{agents} agents, {sites} sites, seed {seed}, gateways {gateways}: {sources.Sum(s => s.Source.CallsPerSecond):0.00} calls/s; calls queued every 10 s, max {queued.Max()}: {string.Join(' ', queued)}");
        foreach (var service in configuration.Services)
        {
            output.WriteLine($"service {service.Id}: offered {StatisticsHarness.Long(tables, RealTimeTables.Service, service.Id, "callsOfferedToday")}, "
                + $"abandoned {StatisticsHarness.Long(tables, RealTimeTables.Service, service.Id, "callsAbandonedToday")} "
                + $"({StatisticsHarness.Column(tables, RealTimeTables.Service, service.Id, "abandonRateToday")}), "
                + $"AHT {StatisticsHarness.Column(tables, RealTimeTables.Service, service.Id, "averageHandleTimeToday")} s, "
                + $"SL {StatisticsHarness.Column(tables, RealTimeTables.Service, service.Id, "serviceLevelToday")}, "
                + $"ASA {StatisticsHarness.Column(tables, RealTimeTables.Service, service.Id, "averageSpeedOfAnswerToday")} s");
        }
        foreach (var group in configuration.SkillGroups)
        {
            output.WriteLine($"skill group {group.Id}: SL {StatisticsHarness.Column(tables, RealTimeTables.SkillGroup, group.Id, "serviceLevelToday")}");
        }
        foreach (var service in configuration.Services)
        {
            Assert.InRange(StatisticsHarness.Column(tables, RealTimeTables.Service, service.Id, "serviceLevelToday").GetDouble(), 0.70, 0.90);
            Assert.InRange(StatisticsHarness.Column(tables, RealTimeTables.Service, service.Id, "abandonRateToday").GetDouble(), 0.02, 0.08);
        }
        var peak = queued.IndexOf(queued.Max());
        Assert.True(queued[peak] >= 5, $"the queues never built up (at most {queued[peak]} calls waiting)");
        Assert.Contains(queued.Skip(peak), q => q <= queued[peak] / 5);
    }
}
