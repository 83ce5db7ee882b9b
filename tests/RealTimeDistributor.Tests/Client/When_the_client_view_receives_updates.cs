using RealTimeDistributor.Client;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

public sealed class When_the_client_view_receives_updates
{
    private static SiteUpdate Rt(long siteSequence, string key, int value) =>
        new("site-a", siteSequence, SiteUpdate.RealTimeKind, "skillgroup", key, null,
            new RealTimeRow(key, siteSequence, DateTimeOffset.UnixEpoch, Json.ToElement(new { value })), DateTimeOffset.UnixEpoch);

    private static SiteUpdate Config(long siteSequence, string key, string operation) =>
        new("site-a", siteSequence, SiteUpdate.ConfigKind, "agent", key,
            new ConfigChanged(siteSequence, siteSequence - 1, "agent", operation, key,
                operation == ConfigOperations.Delete ? null : Json.ToElement(new { name = "Ana" }), DateTimeOffset.UnixEpoch),
            null, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Should_drop_an_update_at_or_below_the_last_site_sequence()
    {
        var view = new ClientView();
        Assert.True(view.Apply(Rt(1, "10", 1), out _));
        Assert.True(view.Apply(Rt(2, "10", 2), out _));
        Assert.False(view.Apply(Rt(2, "10", 99), out _));
        Assert.False(view.Apply(Rt(1, "10", 98), out _));

        Assert.Equal(2, view.Find(SiteUpdate.RealTimeKind, "skillgroup", "10")!.Value!.Value.GetProperty("value").GetInt32());
        Assert.Equal(2, view.Duplicates);
    }

    [Fact]
    public void Should_count_a_gap_in_the_site_sequence()
    {
        var view = new ClientView();
        view.Apply(Rt(1, "10", 1), out var first);
        view.Apply(Rt(3, "11", 1), out var second);

        Assert.False(first);
        Assert.True(second);
        Assert.Equal(1, view.Gaps);
    }

    [Fact]
    public void Should_remove_a_deleted_configuration_row()
    {
        var view = new ClientView();
        view.Apply(Config(1, "100", ConfigOperations.Upsert), out _);
        Assert.NotNull(view.Find(SiteUpdate.ConfigKind, "agent", "100"));

        view.Apply(Config(2, "100", ConfigOperations.Delete), out _);
        Assert.Null(view.Find(SiteUpdate.ConfigKind, "agent", "100"));
        Assert.Equal(2, view.ConfigChanges);
    }
}
