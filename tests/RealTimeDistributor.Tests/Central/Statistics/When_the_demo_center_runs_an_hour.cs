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

    [Theory]
    [InlineData(DemoCenter.DefaultAgents, 2, 42)]
    [InlineData(DemoCenter.DefaultAgents, 2, 7)]
    [InlineData(2000, 4, 42)]
    public async Task Should_answer_70_to_90_percent_in_the_service_level_and_let_queues_build_and_drain(int agents, int sites, int seed)
    {
        var configuration = StatisticsConfiguration.From(DemoCenter.Build(agents, sites));
        var clock = new ManualClock(Start);
        var source = new SimulatedActivity(new RealTimeOptions(TimeSpan.FromSeconds(1), 30, Simulate: true, seed, CallsPerSecond: 0, TimeSpan.FromSeconds(30)));
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        source.Configure(configuration, Start);
        engine.Configure(configuration, Start);

        var queued = new List<long>();
        IReadOnlyList<TableRows> tables = [];
        for (var second = 10; second <= 3600; second += 10)
        {
            clock.Now = Start.AddSeconds(second);
            foreach (var activity in await source.ReadAsync(clock.Now, CancellationToken.None))
            {
                engine.Apply(activity);
            }
            tables = engine.Collect(clock.Now, fullRefresh: true);
            queued.Add(configuration.SkillGroups.Sum(g => StatisticsHarness.Long(tables, RealTimeTables.SkillGroup, g.Id, "callsQueuedNow")));
        }

        output.WriteLine($"{agents} agents, {sites} sites, seed {seed}: {source.CallsPerSecond:0.00} calls/s; calls queued every 10 s, max {queued.Max()}: {string.Join(' ', queued)}");
        foreach (var service in configuration.Services)
        {
            output.WriteLine($"service {service.Id}: offered {StatisticsHarness.Long(tables, RealTimeTables.Service, service.Id, "callsOfferedToday")}, "
                + $"abandoned {StatisticsHarness.Long(tables, RealTimeTables.Service, service.Id, "callsAbandonedToday")}, "
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
        }
        var peak = queued.IndexOf(queued.Max());
        Assert.True(queued[peak] >= 5, $"the queues never built up (at most {queued[peak]} calls waiting)");
        Assert.Contains(queued.Skip(peak), q => q <= queued[peak] / 5);
    }
}
