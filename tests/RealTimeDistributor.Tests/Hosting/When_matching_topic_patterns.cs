using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

public sealed class When_matching_topic_patterns
{
    [Theory]
    [InlineData("#", "skillgroup.10", true)]
    [InlineData("skillgroup.*", "skillgroup.10", true)]
    [InlineData("skillgroup.*", "skillgroupmember.10", false)]
    [InlineData("skillgroup.10", "skillgroup.10", true)]
    [InlineData("skillgroup.10", "skillgroup.100", false)]
    [InlineData("*.10", "agent.10", true)]
    [InlineData("skillgroup.#", "skillgroup.10", true)]
    [InlineData("#.10", "agent.10", true)]
    [InlineData("agent", "agent.10", false)]
    public void Should_match_like_a_rabbitmq_topic_binding(string pattern, string key, bool expected) =>
        Assert.Equal(expected, TopicPattern.Matches(pattern, key));

    [Theory]
    [InlineData("#", "skillgroup", true)]
    [InlineData("skillgroup.*", "skillgroup", true)]
    [InlineData("*.*", "skillgroup", true)]
    [InlineData("skillgroup.10", "skillgroup", false)]
    [InlineData("agent.*", "skillgroup", false)]
    public void Should_know_when_a_pattern_receives_a_whole_table(string pattern, string table, bool expected) =>
        Assert.Equal(expected, TopicPattern.CoversTable(pattern, table));
}
