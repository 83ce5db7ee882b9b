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

    [Fact]
    public void Should_send_one_site_message_per_table_stretch_of_at_most_the_chunk_size()
    {
        List<(string Table, RealTimeRow Row)> written =
        [
            .. Enumerable.Range(0, 5).Select(i => ("agent", Row($"a{i}", 1, i))),
            .. Enumerable.Range(0, 2).Select(i => ("skillgroup", Row($"s{i}", 1, i))),
        ];

        var updates = RealTimeApplier.ToSiteUpdates("site-a", written, firstSiteSequence: 101, DateTimeOffset.UnixEpoch, rowsPerMessage: 2);

        Assert.Equal(["agent 101..102 a0,a1", "agent 103..104 a2,a3", "agent 105..105 a4", "skillgroup 106..107 s0,s1"],
            [.. updates.Select(u => $"{u.Table} {u.FirstSiteSequence}..{u.SiteSequence} {string.Join(',', u.Rows.Select(r => r.Key))}")]);
        Assert.All(updates, u => Assert.Equal($"{SiteUpdate.RealTimeKind} site-a", $"{u.Kind} {u.Site}"));
    }

    [Fact]
    public void Should_send_nothing_when_no_row_was_written()
    {
        Assert.Empty(RealTimeApplier.ToSiteUpdates("site-a", [], 1, DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public void Should_write_a_real_time_message_as_wire_format_2_describes_it()
    {
        var update = RealTimeApplier.ToSiteUpdates("site-a", [("agent", Row("1001", 7, 1)), ("agent", Row("1002", 8, 2))], 41, DateTimeOffset.UnixEpoch)
            .Single() with
        { PreviousSiteSequence = 40 };

        var json = System.Text.Json.JsonDocument.Parse(Json.Serialize(update)).RootElement;

        Assert.Equal((42, 41, 40), (json.GetProperty("siteSequence").GetInt64(), json.GetProperty("firstSiteSequence").GetInt64(),
            json.GetProperty("previousSiteSequence").GetInt64()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, json.GetProperty("key").ValueKind);
        Assert.Equal(["1001", "1002"], [.. json.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("key").GetString() ?? "")]);
        var back = Assert.IsType<RealTimeUpdate>(System.Text.Json.JsonSerializer.Deserialize<SiteUpdate>(Json.Serialize(update), Json.Options));
        Assert.Equal((42L, 41L, 2), (back.SiteSequence, back.FirstSiteSequence, back.Rows.Count));
    }
}
