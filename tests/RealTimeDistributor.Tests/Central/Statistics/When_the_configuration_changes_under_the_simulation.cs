using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using static RealTimeDistributor.Tests.Central.Statistics.StatisticsHarness;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_the_configuration_changes_under_the_simulation
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T10:00:00Z");

    [Fact]
    public async Task Should_drop_removed_agents_and_skill_groups_and_bring_new_agents_in()
    {
        var clock = new ManualClock(Start);
        var source = new SimulatedActivity(new RealTimeOptions(TimeSpan.FromSeconds(1), 30, true, Seed: 7, CallsPerSecond: 3, TimeSpan.FromSeconds(30)));
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        var before = StatisticsConfiguration.Synthetic(200);
        await RunAsync(clock, source, engine, before, seconds: 300);

        // odd agents and skill group 1 go away (some of them mid-call), agents 1001 and 1002 join group 2
        var after = before with
        {
            Agents = [.. before.Agents.Where(a => a % 2 == 0), 1001, 1002],
            SkillGroups = [.. before.SkillGroups.Where(g => g.Id != 1)],
            Members = [.. before.Members.Where(m => m.AgentId % 2 == 0 && m.SkillGroupId != 1), new(1001, 2), new(1002, 2)],
        };
        await RunAsync(clock, source, engine, after, seconds: 300);
        var full = engine.Collect(clock.Now, fullRefresh: true);

        Assert.Equal(after.Agents.Select(a => a.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(),
            full.Single(t => t.Table == RealTimeTables.Agent).Rows.Select(r => r.Key).Order());
        Assert.DoesNotContain(full.Single(t => t.Table == RealTimeTables.SkillGroup).Rows, r => r.Key == "1");
        Assert.NotEqual("logged-out", Column(full, RealTimeTables.Agent, 1001, "state").GetString());
        Assert.True(Long(full, RealTimeTables.SkillGroup, 2, "agentsLoggedOn") >= 2);
        Assert.True(Long(full, RealTimeTables.CallType, 1, "callsHandledTo5") > 0);
    }

    private static async Task RunAsync(ManualClock clock, SimulatedActivity source, StatisticsEngine engine, StatisticsConfiguration configuration, int seconds)
    {
        source.Configure(configuration, clock.Now);
        engine.Configure(configuration, clock.Now);
        for (var second = 0; second < seconds; second++)
        {
            clock.Now += TimeSpan.FromSeconds(1);
            foreach (var activity in await source.ReadAsync(clock.Now, CancellationToken.None))
            {
                engine.Apply(activity);
            }
            engine.Collect(clock.Now, fullRefresh: false);
        }
    }
}
