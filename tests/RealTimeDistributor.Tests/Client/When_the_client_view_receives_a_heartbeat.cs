using RealTimeDistributor.Client.Stream;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

/// <summary>
/// A heartbeat (one per full refresh of a real-time table, in no chain) tells the table's chain head: a view that holds
/// less of the table has lost a message of it and reloads; it also keeps a quiet table from being flagged stale.
/// </summary>
public sealed class When_the_client_view_receives_a_heartbeat
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UnixEpoch.AddHours(1);

    private static HeartbeatUpdate Heartbeat(long chainHead, string table = "skillgroup", long epoch = 0, DateTimeOffset? at = null) =>
        new("site-a", table, chainHead, 2, at ?? Now) { Epoch = epoch };

    private static RealTimeUpdate Row(long siteSequence, long previous) =>
        new("site-a", siteSequence, "skillgroup", [new RealTimeRow("10", siteSequence, Now.AddMinutes(-5), Json.ToElement(new { value = 1 }))], Now)
        {
            PreviousSiteSequence = previous,
        };

    private static ClientView Loaded(long siteSequence, long epoch = 0)
    {
        var view = new ClientView();
        view.Load(siteSequence, [new ViewRow(SiteUpdate.RealTimeKind, "skillgroup", "10", siteSequence, null, Now.AddMinutes(-5), 1)], epoch);
        return view;
    }

    [Fact]
    public void Should_take_a_heartbeat_at_the_chain_it_holds_without_a_gap()
    {
        var view = Loaded(5);
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Heartbeat(chainHead: 5)));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Row(9, previous: 5)));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Heartbeat(chainHead: 9)));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Heartbeat(chainHead: 3, table: "agent")));

        Assert.Equal(0, view.Gaps);
        Assert.False(view.IsLoading);
        Assert.Equal(9, view.LastSiteSequence);
    }

    [Fact]
    public void Should_reload_when_a_heartbeat_shows_a_message_of_a_quiet_table_was_lost()
    {
        var view = Loaded(5);
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Row(9, previous: 5)));

        // site sequence 12 of skillgroup never arrived (the queue overflowed), and nothing else of the table came since
        Assert.Equal(ApplyOutcome.Gap, view.Apply(Heartbeat(chainHead: 12)));

        Assert.Equal(1, view.Gaps);
        Assert.True(view.IsLoading);
        Assert.Equal(ApplyOutcome.Applied, view.Load(12, []));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Heartbeat(chainHead: 12)));
    }

    [Fact]
    public void Should_reload_when_a_table_it_has_no_message_of_is_ahead_of_its_snapshot()
    {
        var view = Loaded(5);

        Assert.Equal(ApplyOutcome.Gap, view.Apply(Heartbeat(chainHead: 6, table: "agent")));
        Assert.True(view.IsLoading);
    }

    [Fact]
    public void Should_ignore_a_heartbeat_of_an_older_epoch()
    {
        var view = Loaded(5, epoch: 3);

        Assert.Equal(ApplyOutcome.StaleEpoch, view.Apply(Heartbeat(chainHead: 40, epoch: 2)));
        Assert.Equal(0, view.Gaps);
        Assert.False(view.IsLoading);
    }

    [Fact]
    public void Should_count_a_heartbeat_as_the_table_being_live()
    {
        var view = Loaded(5);
        Assert.True(view.Tables(Now, TimeSpan.FromSeconds(45)).Single().Stale);

        view.Apply(Heartbeat(chainHead: 5, at: Now.AddSeconds(-10)));

        var table = view.Tables(Now, TimeSpan.FromSeconds(45)).Single();
        Assert.False(table.Stale);
        Assert.Equal(TimeSpan.FromSeconds(10), table.Age);
        Assert.Equal(Now.AddSeconds(-10), table.LastUpdatedAt);
        Assert.True(view.Tables(Now.AddMinutes(1), TimeSpan.FromSeconds(45)).Single().Stale);
    }

    [Fact]
    public void Should_refuse_a_heartbeat_that_breaks_the_rules()
    {
        Assert.Null(SiteUpdateRules.Problem(Heartbeat(7), "site-a"));
        Assert.Contains("not a real-time table", SiteUpdateRules.Problem(Heartbeat(7, table: "script"), "site-a"), StringComparison.Ordinal);
        Assert.Contains("in no chain", SiteUpdateRules.Problem(Heartbeat(7) with { SiteSequence = 8 }, "site-a"), StringComparison.Ordinal);
        Assert.Contains("in no chain", SiteUpdateRules.Problem(Heartbeat(-1), "site-a"), StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_heartbeat_whose_chain_head_is_too_far_ahead()
    {
        var view = new ClientView(maxSequenceJump: 100);
        view.Load(5, []);

        Assert.Equal(ApplyOutcome.TooFarAhead, view.Apply(Heartbeat(chainHead: 500)));
        Assert.Equal(1, view.Refused);
        Assert.False(view.IsLoading);
    }
}
