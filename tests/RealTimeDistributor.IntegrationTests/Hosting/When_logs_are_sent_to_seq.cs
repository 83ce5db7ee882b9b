using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>With Seq:ServerUrl set, a host posts structured events (CLEF) to it; a small HTTP listener stands in for Seq.</summary>
public sealed class When_logs_are_sent_to_seq
{
    [Fact]
    public async Task Should_post_events_with_the_site_as_a_property()
    {
        using var seq = SeqStandIn.Start();

        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("seq");
        await system.StartDistributorAsync(site, extra: new()
        {
            ["Seq:ServerUrl"] = seq.Url.ToString(),
            ["Serilog:MinimumLevel:Default"] = "Information",
        });

        var e = await seq.WaitForAsync(e => SeqStandIn.Property(e, "Site") == site, TimeSpan.FromSeconds(30));
        Assert.Equal("distributor", SeqStandIn.Property(e, "Process"));
    }
}
