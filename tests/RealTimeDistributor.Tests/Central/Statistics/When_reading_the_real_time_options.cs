using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Central.Statistics;

public sealed class When_reading_the_real_time_options
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Should_default_every_option()
    {
        Assert.Equal(new RealTimeOptions(TimeSpan.FromSeconds(1), 30, true, 42, 0, TimeSpan.FromSeconds(30), 100), RealTimeOptions.From(Config()));
    }

    [Theory]
    [InlineData("RealTime:Interval", "00:00:00.050")]
    [InlineData("RealTime:FullRefreshEvery", "0")]
    [InlineData("RealTime:CallsPerSecond", "-1")]
    [InlineData("RealTime:CallsPerSecond", "many")]
    [InlineData("RealTime:Load", "201")]
    [InlineData("RealTime:ConfigurationRefresh", "soon")]
    [InlineData("RealTime:Seed", "-5")]
    public void Should_name_the_key_of_a_bad_value(string key, string value)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => RealTimeOptions.From(Config((key, value))));
        Assert.Equal(key, error.Key);
    }

    [Fact]
    public void Should_accept_an_interval_of_100_milliseconds()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(100), RealTimeOptions.From(Config(("RealTime:Interval", "00:00:00.100"))).Interval);
    }
}
