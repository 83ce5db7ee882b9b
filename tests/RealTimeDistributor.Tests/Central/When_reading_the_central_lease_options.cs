using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Central;

/// <summary>Issue 27: Central:Lease:Duration and Central:Checkpoint:Interval, checked at start.</summary>
public sealed class When_reading_the_central_lease_options
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Should_default_to_a_three_second_lease_renewed_every_second_and_a_two_second_checkpoint()
    {
        var options = CentralLeaseOptions.From(Config());

        Assert.Equal(TimeSpan.FromSeconds(3), options.Duration);
        Assert.Equal(TimeSpan.FromSeconds(1), options.RenewEvery);
        Assert.Equal(TimeSpan.FromSeconds(2), options.CheckpointInterval);
    }

    [Theory]
    [InlineData("Central:Lease:Duration", "00:00:00.100")]
    [InlineData("Central:Lease:Duration", "soon")]
    [InlineData("Central:Checkpoint:Interval", "01:00:00")]
    public void Should_name_the_key_of_a_bad_value(string key, string value)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => CentralLeaseOptions.From(Config((key, value))));
        Assert.Equal(key, error.Key);
    }
}
