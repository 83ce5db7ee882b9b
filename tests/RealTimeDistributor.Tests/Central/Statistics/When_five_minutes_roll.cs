using RealTimeDistributor.Contracts;
using static RealTimeDistributor.Tests.Central.Statistics.StatisticsHarness;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_five_minutes_roll
{
    [Fact]
    public void Should_drop_a_call_from_to5_five_minutes_after_it_was_counted()
    {
        var harness = new StatisticsHarness(ManualClock.At("2026-11-25T10:00:00Z"));
        // offered 10:01:00, answered 10:01:05, completed 10:01:06
        harness.HandledCall(ManualClock.At("2026-11-25T10:01:00Z"), TimeSpan.FromSeconds(5));

        var before = harness.CollectAt("2026-11-25T10:05:59Z");
        Assert.Equal(1, Long(before, RealTimeTables.SkillGroup, 10, "callsOfferedTo5"));
        Assert.Equal(1, Long(before, RealTimeTables.SkillGroup, 10, "callsHandledTo5"));

        var offeredGone = harness.CollectAt("2026-11-25T10:06:00Z");
        Assert.Equal(0, Long(offeredGone, RealTimeTables.SkillGroup, 10, "callsOfferedTo5"));
        Assert.Equal(1, Long(offeredGone, RealTimeTables.SkillGroup, 10, "callsHandledTo5"));

        var allGone = harness.CollectAt("2026-11-25T10:06:06Z");
        Assert.Equal(0, Long(allGone, RealTimeTables.SkillGroup, 10, "callsHandledTo5"));
        Assert.Equal(0, Long(allGone, RealTimeTables.SkillGroup, 10, "callsAnsweredTo5"));
        Assert.Equal(1, Long(allGone, RealTimeTables.SkillGroup, 10, "callsHandledHalf"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, Column(allGone, RealTimeTables.SkillGroup, 10, "averageSpeedOfAnswerTo5").ValueKind);
    }
}
