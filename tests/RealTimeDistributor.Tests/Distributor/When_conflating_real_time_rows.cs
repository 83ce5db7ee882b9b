using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.RealTime;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Distributor;

public sealed class When_conflating_real_time_rows
{
    private static RealTimeRow Row(string key, long version, int value) => new(key, version, DateTimeOffset.UnixEpoch, Json.ToElement(new { value }));

    [Fact]
    public void Should_keep_only_the_newest_version_of_each_key()
    {
        var rows = RealTimeApplier.Conflate([Row("a", 1, 10), Row("b", 7, 70), Row("a", 3, 30), Row("a", 2, 20), Row("b", 5, 50)]);

        Assert.Equal(2, rows.Count);
        Assert.Equal(30, rows.Single(r => r.Key == "a").Data.GetProperty("value").GetInt32());
        Assert.Equal(70, rows.Single(r => r.Key == "b").Data.GetProperty("value").GetInt32());
    }

    [Fact]
    public void Should_treat_keys_as_case_sensitive()
    {
        Assert.Equal(2, RealTimeApplier.Conflate([Row("A", 1, 1), Row("a", 1, 2)]).Count);
    }
}
