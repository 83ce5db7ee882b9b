using RealTimeDistributor.Contracts;
using static RealTimeDistributor.Tests.Central.Statistics.StatisticsHarness;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_a_half_hour_ends
{
    [Theory]
    [InlineData("2026-11-25T10:29:00Z", "2026-11-25T10:29:59.999Z", "2026-11-25T10:30:00Z")]
    [InlineData("2026-11-25T10:59:00Z", "2026-11-25T10:59:59.999Z", "2026-11-25T11:00:00Z")]
    public void Should_reset_the_half_hour_counts_at_the_boundary_and_keep_to5_and_today(string callAt, string justBefore, string boundary)
    {
        var harness = new StatisticsHarness(ManualClock.At("2026-11-25T08:00:00Z"));
        harness.HandledCall(ManualClock.At(callAt), TimeSpan.FromSeconds(5));
        harness.AbandonedCall(ManualClock.At(callAt), TimeSpan.FromSeconds(30));

        var before = harness.CollectAt(justBefore);
        Assert.Equal(1, Long(before, RealTimeTables.SkillGroup, 10, "callsHandledHalf"));
        Assert.Equal(1, Long(before, RealTimeTables.CallType, 7, "callsAbandonedHalf"));
        Assert.Equal(2, Long(before, RealTimeTables.Service, 100, "callsOfferedHalf"));

        var after = harness.CollectAt(boundary);
        Assert.Equal(0, Long(after, RealTimeTables.SkillGroup, 10, "callsHandledHalf"));
        Assert.Equal(0, Long(after, RealTimeTables.CallType, 7, "callsAbandonedHalf"));
        Assert.Equal(0, Long(after, RealTimeTables.Service, 100, "callsOfferedHalf"));
        Assert.Equal(1, Long(after, RealTimeTables.SkillGroup, 10, "callsHandledTo5"));
        Assert.Equal(1, Long(after, RealTimeTables.SkillGroup, 10, "callsHandledToday"));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, Column(after, RealTimeTables.CallType, 7, "serviceLevelHalf").ValueKind);
    }

    [Fact]
    public void Should_use_the_half_hours_of_the_local_time_zone()
    {
        // at +05:45 the local half hours begin at :15 and :45 UTC
        var nepal = TimeZoneInfo.CreateCustomTimeZone("test+05:45", TimeSpan.FromMinutes(345), "test+05:45", "test+05:45");
        var harness = new StatisticsHarness(ManualClock.At("2026-11-25T08:00:00Z"), nepal);
        harness.HandledCall(ManualClock.At("2026-11-25T10:20:00Z"), TimeSpan.FromSeconds(5));

        // 10:44:59 UTC is 16:29:59 local: still the half hour that began at 16:00 local (10:15 UTC), across 10:30 UTC
        Assert.Equal(1, Long(harness.CollectAt("2026-11-25T10:44:59Z"), RealTimeTables.SkillGroup, 10, "callsHandledHalf"));
        // 10:45 UTC is 16:30 local: a new half hour
        Assert.Equal(0, Long(harness.CollectAt("2026-11-25T10:45:00Z"), RealTimeTables.SkillGroup, 10, "callsHandledHalf"));
    }

    [Fact]
    public void Should_count_a_call_in_the_half_hour_in_which_it_was_handled()
    {
        var harness = new StatisticsHarness(ManualClock.At("2026-11-25T08:00:00Z"));
        harness.HandledCall(ManualClock.At("2026-11-25T10:29:58Z"), TimeSpan.FromSeconds(5));

        var tables = harness.CollectAt("2026-11-25T10:30:30Z");

        Assert.Equal(0, Long(tables, RealTimeTables.SkillGroup, 10, "callsOfferedHalf"));
        Assert.Equal(1, Long(tables, RealTimeTables.SkillGroup, 10, "callsHandledHalf"));
        Assert.Equal(1, Long(tables, RealTimeTables.SkillGroup, 10, "callsAnsweredHalf"));
    }
}
