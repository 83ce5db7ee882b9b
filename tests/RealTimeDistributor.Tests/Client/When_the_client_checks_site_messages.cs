using RealTimeDistributor.Client.Stream;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

public sealed class When_the_client_checks_site_messages
{
    private static RealTimeUpdate Rt(long siteSequence, long previous = 0, string table = "skillgroup", string site = "site-a", int rows = 1) =>
        new(site, siteSequence, table,
            [.. Enumerable.Range(0, rows).Select(i => new RealTimeRow($"{10 + i}", siteSequence, DateTimeOffset.UnixEpoch, Json.ToElement(new { value = i })))],
            DateTimeOffset.UnixEpoch)
        {
            FirstSiteSequence = siteSequence - rows + 1,
            PreviousSiteSequence = previous,
        };

    private static ConfigUpdate Config(long siteSequence, string operation = ConfigOperations.Upsert, string table = "agent", string key = "1001") =>
        new("site-a", siteSequence, table, key,
            new ConfigChanged(siteSequence, 0, table, operation, key, operation == ConfigOperations.Delete ? null : Json.ToElement(new { name = "Ana" }),
                DateTimeOffset.UnixEpoch),
            DateTimeOffset.UnixEpoch);

    [Fact]
    public void Should_accept_the_messages_a_distributor_sends()
    {
        Assert.Null(SiteUpdateRules.Problem(Rt(5, previous: 2, rows: 3), "site-a"));
        Assert.Null(SiteUpdateRules.Problem(Config(7), "site-a"));
        Assert.Null(SiteUpdateRules.Problem(Config(8, ConfigOperations.Delete), "site-a"));
    }

    public static TheoryData<string, SiteUpdate, string> Malformed => new()
    {
        { "another site", Rt(5, site: "site-b"), "for site 'site-b'" },
        { "an unknown real-time table", Rt(5, table: "payroll"), "not a real-time table" },
        { "sequence 0", Rt(1) with { SiteSequence = 0, FirstSiteSequence = 0 }, "sequences do not fit" },
        { "a link at or above itself", Rt(5, previous: 5), "sequences do not fit" },
        { "rows that do not end at its sequence", Rt(5, rows: 2) with { FirstSiteSequence = 5 }, "do not end at site sequence 5" },
        { "no rows", Rt(5) with { Rows = [] }, "one or more rows" },
        { "a change of another table", Config(5) with { Table = "skillgroup" }, "one change of its table and key" },
        { "a change of another key", Config(5) with { Key = "1002" }, "one change of its table and key" },
        { "an unknown operation", Config(5, "truncate"), "operation 'truncate'" },
        { "a config table that is not a word", Config(5, table: "agent;drop"), "one change of its table and key" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Should_refuse_a_malformed_message_with_a_reason(string what, SiteUpdate update, string reason)
    {
        var problem = SiteUpdateRules.Problem(update, "site-a");
        Assert.True(problem is not null, what);
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Should_refuse_a_sequence_too_far_ahead_and_keep_following_the_real_stream()
    {
        var view = new ClientView(maxSequenceJump: 1_000);
        view.Load(100, []);

        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(101, previous: 100)));
        Assert.Equal(ApplyOutcome.TooFarAhead, view.Apply(Rt(1_000_000_000_000_000, previous: 101)));
        Assert.Equal(1, view.Refused);
        Assert.Equal(101, view.LastSiteSequence);
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(102, previous: 101)));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(1_102, previous: 102)));
        Assert.Equal(1_102, view.LastSiteSequence);
        Assert.Equal(0, view.Gaps);
    }

    [Fact]
    public void Should_refuse_a_buffered_message_too_far_ahead_of_the_snapshot_when_it_loads()
    {
        var view = new ClientView(maxSequenceJump: 1_000);
        Assert.Equal(ApplyOutcome.Buffered, view.Apply(Rt(1_000_000, previous: 50)));
        Assert.Equal(ApplyOutcome.Buffered, view.Apply(Rt(51, previous: 50)));

        Assert.Equal(ApplyOutcome.Applied, view.Load(50, []));

        Assert.Equal(1, view.Refused);
        Assert.Equal(51, view.LastSiteSequence);
    }
}
