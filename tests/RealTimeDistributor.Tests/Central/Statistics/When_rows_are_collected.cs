using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using static RealTimeDistributor.Tests.Central.Statistics.StatisticsHarness;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_rows_are_collected
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T10:00:00Z");

    [Fact]
    public void Should_return_only_the_rows_whose_value_changed_with_a_new_version()
    {
        var harness = new StatisticsHarness(Start);
        var first = harness.Engine.Collect(Start, fullRefresh: false);
        Assert.Equal(4, first.Single(t => t.Table == RealTimeTables.Agent).Rows.Count);

        var nothing = harness.Engine.Collect(Start.AddSeconds(1), fullRefresh: false);
        Assert.All(nothing, t => Assert.Empty(t.Rows));

        harness.Engine.Apply(new AgentStateChanged(Start.AddSeconds(2), 3, AgentStates.Ready, 0, null));
        var changed = harness.Engine.Collect(Start.AddSeconds(2), fullRefresh: false);

        var agent = Assert.Single(changed.Single(t => t.Table == RealTimeTables.Agent).Rows);
        Assert.Equal("3", agent.Key);
        Assert.True(agent.Version > Row(first, RealTimeTables.Agent, 3).Version);
        Assert.Equal(Start.AddSeconds(2), agent.UpdatedAt);
        Assert.Equal("ready", agent.Data.GetProperty("state").GetString());
        var group = Assert.Single(changed.Single(t => t.Table == RealTimeTables.SkillGroup).Rows);
        Assert.Equal(1, group.Data.GetProperty("agentsReady").GetInt32());
        Assert.Empty(changed.Single(t => t.Table == RealTimeTables.CallType).Rows);
    }

    [Fact]
    public void Should_include_every_row_in_a_full_refresh_with_the_versions_already_published()
    {
        var harness = new StatisticsHarness(Start);
        var first = harness.Engine.Collect(Start, fullRefresh: false);
        harness.Engine.Apply(new AgentStateChanged(Start.AddSeconds(1), 2, AgentStates.NotReady, 4, null));
        harness.Engine.Collect(Start.AddSeconds(1), fullRefresh: false);

        var full = harness.Engine.Collect(Start.AddSeconds(2), fullRefresh: true);

        Assert.Equal([4, 1, 1, 1], full.Select(t => t.Rows.Count));
        Assert.Equal(harness.Engine.RowCount, full.Sum(t => t.Rows.Count));
        Assert.Equal(Row(first, RealTimeTables.Agent, 1).Version, Row(full, RealTimeTables.Agent, 1).Version);
        Assert.True(Row(full, RealTimeTables.Agent, 2).Version > Row(first, RealTimeTables.Agent, 2).Version);
        Assert.Equal(4, Column(full, RealTimeTables.Agent, 2, "reasonCode").GetInt32());
    }

    [Fact]
    public void Should_count_the_queue_the_speed_of_answer_and_the_service_level()
    {
        var harness = new StatisticsHarness(Start);
        harness.HandledCall(Start.AddSeconds(10), TimeSpan.FromSeconds(10));
        harness.HandledCall(Start.AddSeconds(10), TimeSpan.FromSeconds(30));
        harness.AbandonedCall(Start.AddSeconds(10), TimeSpan.FromSeconds(5));
        harness.Engine.Apply(new CallOffered(Start.AddSeconds(50), 90, 7, 10));
        harness.Engine.Apply(new CallOffered(Start.AddSeconds(55), 91, 7, 10));

        var tables = harness.CollectAt("2026-11-25T10:01:00Z");

        Assert.Equal(2, Long(tables, RealTimeTables.CallType, 7, "callsQueuedNow"));
        Assert.Equal(Start.AddSeconds(50), Column(tables, RealTimeTables.SkillGroup, 10, "longestInQueueSince").GetDateTimeOffset());
        Assert.Equal(5, Long(tables, RealTimeTables.CallType, 7, "callsOfferedToday"));
        Assert.Equal(20.0, Column(tables, RealTimeTables.CallType, 7, "averageSpeedOfAnswerHalf").GetDouble());
        Assert.Equal(0.3333, Column(tables, RealTimeTables.Service, 100, "serviceLevelTo5").GetDouble());
    }

    [Fact]
    public void Should_drop_the_rows_of_deleted_agents_and_start_new_agents_logged_out()
    {
        var harness = new StatisticsHarness(Start);
        harness.Engine.Collect(Start, fullRefresh: false);

        harness.Engine.Configure(SmallCenter with { Agents = [1, 2, 3, 5] }, Start.AddSeconds(1));
        var full = harness.Engine.Collect(Start.AddSeconds(1), fullRefresh: true);

        var agents = full.Single(t => t.Table == RealTimeTables.Agent).Rows;
        Assert.Equal(["1", "2", "3", "5"], agents.Select(r => r.Key).Order());
        Assert.Equal("logged-out", Column(full, RealTimeTables.Agent, 5, "state").GetString());
    }
}
