using RealTimeDistributor.Contracts;
using static RealTimeDistributor.Tests.Central.Statistics.StatisticsHarness;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_a_day_ends
{
    [Fact]
    public void Should_reset_today_at_midnight_while_to5_keeps_rolling_across_it()
    {
        var harness = new StatisticsHarness(ManualClock.At("2026-11-25T08:00:00Z"));
        harness.HandledCall(ManualClock.At("2026-11-25T09:00:00Z"), TimeSpan.FromSeconds(5));
        harness.HandledCall(ManualClock.At("2026-11-25T23:58:00Z"), TimeSpan.FromSeconds(5));

        var before = harness.CollectAt("2026-11-25T23:59:59Z");
        Assert.Equal(2, Long(before, RealTimeTables.CallType, 7, "callsHandledToday"));

        var after = harness.CollectAt("2026-11-26T00:00:00Z");
        Assert.Equal(0, Long(after, RealTimeTables.CallType, 7, "callsHandledToday"));
        Assert.Equal(0, Long(after, RealTimeTables.CallType, 7, "callsHandledHalf"));
        Assert.Equal(1, Long(after, RealTimeTables.CallType, 7, "callsHandledTo5"));
    }
}
