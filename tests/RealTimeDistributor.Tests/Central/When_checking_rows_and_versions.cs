using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Tests.Central;

public sealed class When_checking_rows_and_versions
{
    [Fact]
    public void Should_refuse_empty_and_oversized_names_and_unknown_kinds()
    {
        Assert.Equal("name is required.", RowRules.Check(new Agent { Name = " " }));
        Assert.Contains("longer than 100", RowRules.Check(new SkillGroup { Name = new string('x', 101) }));
        Assert.Contains("kind 'pbx'", RowRules.Check(new Peripheral { Name = "P", Kind = "pbx" }));
        Assert.Contains("serviceLevelSeconds", RowRules.Check(new CallType { Name = "C", ServiceLevelSeconds = 0 }));
        Assert.Null(RowRules.Check(new Agent { Name = "Ana" }));
    }

    [Fact]
    public void Should_take_a_skill_groups_thresholds_from_zero_with_amber_before_red()
    {
        Assert.Null(RowRules.Check(new SkillGroup { Name = "S" }));
        Assert.Null(RowRules.Check(new SkillGroup { Name = "S", ServiceLevelGreen = 90, ServiceLevelAmber = 75, QueueAmber = 5, QueueRed = 5, NotReadyRedSeconds = 60 }));
        Assert.Equal("serviceLevelAmber (85) must be at most serviceLevelGreen (80).",
            RowRules.Check(new SkillGroup { Name = "S", ServiceLevelGreen = 80, ServiceLevelAmber = 85 }));
        Assert.Equal("serviceLevelGreen must be from 0 (the default) to 100.", RowRules.Check(new SkillGroup { Name = "S", ServiceLevelGreen = 101 }));
        Assert.Equal("queueAmber must be from 0 (the default) to 2147483647.", RowRules.Check(new SkillGroup { Name = "S", QueueAmber = -1 }));
        Assert.Equal("longestWaitAmberSeconds (120) must be at most longestWaitRedSeconds (60).",
            RowRules.Check(new SkillGroup { Name = "S", LongestWaitAmberSeconds = 120, LongestWaitRedSeconds = 60 }));
        Assert.Equal("notReadyRedSeconds must be from 0 (the default) to 86400.", RowRules.Check(new SkillGroup { Name = "S", NotReadyRedSeconds = 86401 }));
    }

    [Fact]
    public void Should_issue_strictly_rising_versions_even_when_the_clock_steps_back()
    {
        var clock = new SteppingClock(DateTimeOffset.Parse("2026-11-25T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var versions = new VersionClock(clock);
        var a = versions.Next();
        clock.Now -= TimeSpan.FromMinutes(5);
        var b = versions.Next();
        var c = versions.Next();

        Assert.True(b > a);
        Assert.True(c > b);
    }

    private sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
