using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

/// <summary>
/// GET /events?team=...&amp;group=... without HTTP: a scoped connection's reset and frames hold exactly the rows its board
/// draws (<see cref="ScopeRule"/>), connections of one scope share one encoding, a change of the scope's members (an
/// agent joins the team, an agent's call takes it into a group) resets that scope only, a membership row that leaves the
/// scope goes as removed, a malformed scope is refused with its reason, and the cap of scopes refuses one more.
/// </summary>
public sealed class When_a_wallboard_asks_for_a_scope : IDisposable
{
    private readonly ClientView _view = new();
    private readonly WallboardFeed _feed;
    private long _sequence = 100;

    // team 7 Blue: members 1001, 1002, supervisor 1003 (a member of Green); team 8 Green: 1003-1006. Skill groups: 1001
    // and 1004 in Sales (10), 1002 in Support (11), 1003, 1005, 1006 in Billing (12); 1006 works a Support call now.
    public When_a_wallboard_asks_for_a_scope()
    {
        ViewRow Config(string table, int key, object value) => new(SiteUpdate.ConfigKind, table, $"{key}", 1, Json.ToElement(value), DateTimeOffset.UnixEpoch, 1);
        ViewRow Live(string table, int key, object value) => new(SiteUpdate.RealTimeKind, table, $"{key}", 1, Json.ToElement(value), DateTimeOffset.UnixEpoch, 1);
        var working = new Dictionary<int, int> { [1001] = 10, [1002] = 11, [1003] = 12, [1004] = 10, [1005] = 12, [1006] = 11 };
        _view.Load(1,
        [
            Config("peripheral", 1, new { name = "ACD" }),
            Config("routingscript", 40, new { name = "main", body = "route" }),
            Config("reasoncode", 1, new { peripheralId = 1, code = 1, text = "Break" }),
            Config("calltype", 20, new { name = "Sales inbound" }),
            Config("service", 30, new { name = "Voice" }),
            .. new[] { (10, "Sales"), (11, "Support"), (12, "Billing") }.Select(g => Config("skillgroup", g.Item1, new { name = g.Item2 })),
            Config("team", 7, new { name = "Blue" }),
            Config("team", 8, new { name = "Green" }),
            .. working.Keys.Select(a => Config("agent", a, new { name = $"Agent {a}", peripheralId = 1 })),
            .. working.Keys.Select(a => Config("teammember", a - 900, new { teamId = a <= 1002 ? 7 : 8, agentId = a })),
            Config("teamsupervisor", 1, new { teamId = 7, agentId = 1003 }),
            .. new[] { (1001, 10), (1002, 11), (1003, 12), (1004, 10), (1005, 12), (1006, 12) }.Select(m => Config("skillgroupmember", m.Item1 - 800, new { agentId = m.Item1, skillGroupId = m.Item2 })),
            .. working.Select(w => Live(RealTimeTables.Agent, w.Key, new { state = "talking", skillGroupId = w.Value })),
            .. new[] { 10, 11, 12 }.Select(g => Live(RealTimeTables.SkillGroup, g, new { callsQueuedNow = g })),
            Live(RealTimeTables.CallType, 20, new { callsQueuedNow = 1 }),
            Live(RealTimeTables.Service, 30, new { callsQueuedNow = 1 }),
        ]);
        _feed = new WallboardFeed(_view, new ClientSettings("site-a", "ws1", [Topology.AllKeys]),
            new WallboardSettings(80, 60) { ConnectionBuffer = 8, MaxConnections = 20, MaxScopes = 3 }, TimeProvider.System, NullLogger<WallboardFeed>.Instance);
    }

    public void Dispose() => _feed.Dispose();

    private static readonly string[] Whole = ["config/calltype/20", "config/reasoncode/1", "config/service/30", "realtime/calltype/20", "realtime/service/30"];

    private static WallboardScope Scope(string query)
    {
        var scope = WallboardScope.Parse(QueryHelpers(query), out var error);
        Assert.True(scope is not null, error);
        return scope;
    }

    private static Dictionary<string, Microsoft.Extensions.Primitives.StringValues> QueryHelpers(string query) =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query);

    private WallboardConnection Connect(string query)
    {
        var connection = _feed.Connect(null, Scope(query), out var refused);
        Assert.True(connection is not null, refused);
        return connection;
    }

    private static (string Name, JsonElement Data) Parse(byte[] encoded)
    {
        var lines = Encoding.UTF8.GetString(encoded).Split('\n');
        string Field(string name) => lines.Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];
        return (Field("event"), JsonDocument.Parse(Field("data")).RootElement);
    }

    /// <summary>The next reset or frame (a status skipped).</summary>
    private async Task<(string Name, JsonElement Data, byte[] Encoded)> NextAsync(WallboardConnection connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var encoded = await _feed.NextAsync(connection, timeout.Token);
            var (name, data) = Parse(encoded);
            if (name != "status")
            {
                return (name, data, encoded);
            }
        }
    }

    private static string[] Keys(JsonElement data, string list = "rows") =>
        [.. data.GetProperty(list).EnumerateArray().Select(r => $"{r.GetProperty("kind").GetString()}/{r.GetProperty("table").GetString()}/{r.GetProperty("key").GetString()}").Order(StringComparer.Ordinal)];

    private static string[] Expected(params string[] rows) => [.. rows.Concat(Whole).Order(StringComparer.Ordinal)];

    private void Change(string table, string key, object value)
    {
        _sequence++;
        _view.Apply(new RealTimeUpdate("site-a", _sequence, table, [new RealTimeRow(key, _sequence, DateTimeOffset.UnixEpoch, Json.ToElement(value))], DateTimeOffset.UnixEpoch)
        {
            FirstSiteSequence = _sequence,
        });
    }

    private void Configure(string table, string key, object? value)
    {
        _sequence++;
        var operation = value is null ? ConfigOperations.Delete : ConfigOperations.Upsert;
        _view.Apply(new ConfigUpdate("site-a", _sequence, table, key,
            new ConfigChanged(_sequence, _sequence - 1, table, operation, key, value is null ? null : Json.ToElement(value), DateTimeOffset.UnixEpoch), DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task Should_send_a_team_only_its_agents_the_tiles_of_its_members_groups_and_the_small_tables()
    {
        var reset = await NextAsync(Connect("?team=blue"));
        Assert.Equal("reset", reset.Name);
        Assert.Equal(Expected(
            "config/agent/1001", "config/agent/1002", "config/agent/1003", "config/skillgroupmember/201", "config/skillgroupmember/202",
            "config/skillgroupmember/203", "config/teammember/101", "config/teammember/102", "config/teammember/103", "config/teamsupervisor/1",
            "realtime/agent/1001", "realtime/agent/1002", "realtime/agent/1003", "realtime/skillgroup/10", "realtime/skillgroup/11",
            // the groups and teams it names: the tiles, its agents' groups (the supervisor's Billing), their teams (the supervisor's Green)
            "config/skillgroup/10", "config/skillgroup/11", "config/skillgroup/12", "config/team/7", "config/team/8"), Keys(reset.Data));
        Assert.Equal(3, reset.Data.GetProperty("scope").GetProperty("agents").GetInt32());

        // by id: the same rows
        var byId = await NextAsync(Connect("?team=7"));
        Assert.Equal(Keys(reset.Data), Keys(byId.Data));
    }

    [Fact]
    public async Task Should_send_a_kiosk_of_tiles_only_the_skill_group_rows_and_their_changes_only()
    {
        var all = Connect("?tiles=1");
        var reset = await NextAsync(all);
        Assert.Equal(["config/skillgroup/10", "config/skillgroup/11", "config/skillgroup/12", "realtime/skillgroup/10", "realtime/skillgroup/11",
            "realtime/skillgroup/12"], Keys(reset.Data));
        var two = await NextAsync(Connect("?tiles=1&group=11,12"));
        Assert.Equal(["config/skillgroup/11", "config/skillgroup/12", "realtime/skillgroup/11", "realtime/skillgroup/12"], Keys(two.Data));

        // an agent's change, a call type's and a membership's are not a tile's; a new skill group is
        Change(RealTimeTables.Agent, "1001", new { state = "ready" });
        Change(RealTimeTables.CallType, "20", new { callsQueuedNow = 9 });
        Configure("skillgroupmember", "299", new { agentId = 1001, skillGroupId = 11 });
        Configure("skillgroup", "13", new { name = "Retention" });
        Change(RealTimeTables.SkillGroup, "13", new { callsQueuedNow = 2 });
        _feed.Flush();
        var frame = await NextAsync(all);
        Assert.Equal("frame", frame.Name);
        Assert.Equal(["config/skillgroup/13", "realtime/skillgroup/13"], Keys(frame.Data));
    }

    [Fact]
    public async Task Should_send_groups_their_members_and_the_agents_working_for_them_now()
    {
        var reset = await NextAsync(Connect("?group=11"));
        Assert.Equal(Expected(
            "config/agent/1002", "config/agent/1006", "config/skillgroupmember/202", "config/skillgroupmember/206", "config/teammember/102",
            "config/teammember/106", "realtime/agent/1002", "realtime/agent/1006", "realtime/skillgroup/11",
            "config/skillgroup/11", "config/skillgroup/12", "config/team/7", "config/team/8"), Keys(reset.Data)); // not Sales (10): no agent of it

        // team and groups: the team's agents in the groups; the tiles of the groups that have a member of the team
        var both = await NextAsync(Connect("?team=Green&group=10,11"));
        Assert.Equal(Expected(
            "config/agent/1004", "config/agent/1006", "config/skillgroupmember/204", "config/skillgroupmember/206", "config/teammember/104",
            "config/teammember/106", "realtime/agent/1004", "realtime/agent/1006", "realtime/skillgroup/10",
            "config/skillgroup/10", "config/skillgroup/11", "config/skillgroup/12", "config/team/8"), Keys(both.Data));
    }

    [Fact]
    public async Task Should_share_one_encoding_per_scope_and_frame_each_scope_only_its_rows()
    {
        var blue = Connect("?team=Blue");
        var alsoBlue = Connect("?team=BLUE");
        var support = Connect("?group=11");
        var site = _feed.Connect(null)!;
        var reset = await NextAsync(blue);
        Assert.Same(reset.Encoded, (await NextAsync(alsoBlue)).Encoded);
        await NextAsync(support);
        var whole = await NextAsync(site);
        Assert.Contains("config/routingscript/40", Keys(whole.Data));
        Assert.True(whole.Encoded.Length > reset.Encoded.Length, $"the team's reset is {reset.Encoded.Length} bytes, the site's {whole.Encoded.Length}");

        Change(RealTimeTables.Agent, "1001", new { state = "ready" });
        Change(RealTimeTables.Agent, "1004", new { state = "ready", skillGroupId = 10 });
        Change(RealTimeTables.Agent, "1006", new { state = "ready", skillGroupId = 11 });
        Change(RealTimeTables.CallType, "20", new { callsQueuedNow = 5 });
        _feed.Flush();

        var frame = await NextAsync(blue);
        Assert.Equal("frame", frame.Name);
        Assert.Same(frame.Encoded, (await NextAsync(alsoBlue)).Encoded);
        Assert.Equal(["realtime/agent/1001", "realtime/calltype/20"], Keys(frame.Data));
        Assert.Equal(["realtime/agent/1006", "realtime/calltype/20"], Keys((await NextAsync(support)).Data));
        Assert.Equal(["realtime/agent/1001", "realtime/agent/1004", "realtime/agent/1006", "realtime/calltype/20"], Keys((await NextAsync(site)).Data));
        Assert.Equal(3, _feed.ResetsEncoded);
        Assert.Equal(0, _feed.ScopeChanges);
    }

    [Fact]
    public void Should_cut_call_types_and_services_to_every_column_the_page_s_summaries_read()
    {
        // the page (wallboard.js) draws both summaries from `r`, a live row's value, in summary() and peripheralChip():
        // a column read there but cut for a scope would show blank on every scoped board
        using var page = new StreamReader(typeof(ScopeRule).Assembly.GetManifestResourceStream("wallboard/wallboard.js")!);
        var script = page.ReadToEnd();
        var read = new[] { "function summary(", "function peripheralChip(" }
            .Select(start => script[script.IndexOf(start, StringComparison.Ordinal)..])
            .SelectMany(body => Regex.Matches(body[..body.IndexOf("\n}\n", StringComparison.Ordinal)], @"\br\.([A-Za-z0-9]+)"))
            .Select(m => m.Groups[1].Value)
            .ToHashSet();
        Assert.Contains("callsQueuedNow", read);
        Assert.Empty(read.Except(ScopeRule.SummaryColumns));
    }

    [Fact]
    public async Task Should_send_a_scope_the_call_types_and_services_with_only_the_columns_of_their_summaries()
    {
        var full = new { callsQueuedNow = 3, callsOfferedHalf = 9, serviceLevelHalf = 0.8, callsHandledToday = 40, averageHandleTimeTo5 = 120.5, serviceLevelType = 2 };
        Change(RealTimeTables.CallType, "20", full);
        Change(RealTimeTables.Service, "30", new { full.callsQueuedNow, full.callsHandledToday, peripheralStatus = "offline" });
        var blue = Connect("?team=Blue");
        var site = _feed.Connect(null)!;
        var reset = (await NextAsync(blue)).Data;
        Assert.Equal(["callsOfferedHalf", "callsQueuedNow", "serviceLevelHalf"], Columns(Row(reset, "realtime/calltype/20")));
        Assert.Equal(_sequence - 1, Row(reset, "realtime/calltype/20").GetProperty("version").GetInt64());
        Assert.Equal(["callsQueuedNow", "peripheralStatus"], Columns(Row(reset, "realtime/service/30")));
        Assert.Equal(6, Columns(Row((await NextAsync(site)).Data, "realtime/calltype/20")).Length);

        Change(RealTimeTables.CallType, "20", full with { callsQueuedNow = 4 });
        _feed.Flush();
        var frame = Row((await NextAsync(blue)).Data, "realtime/calltype/20");
        Assert.Equal(["callsOfferedHalf", "callsQueuedNow", "serviceLevelHalf"], Columns(frame));
        Assert.Equal(4, frame.GetProperty("value").GetProperty("callsQueuedNow").GetInt32());
        Assert.Equal(_sequence, frame.GetProperty("version").GetInt64());
        Assert.Equal(DateTimeOffset.UnixEpoch, frame.GetProperty("updatedAt").GetDateTimeOffset());
        Assert.Equal(6, Columns(Row((await NextAsync(site)).Data, "realtime/calltype/20")).Length);
    }

    [Fact]
    public async Task Should_send_a_scope_a_call_type_row_only_when_a_column_its_summary_draws_changed()
    {
        var full = new { callsQueuedNow = 3, callsHandledToday = 40 };
        Change(RealTimeTables.CallType, "20", full);
        _feed.Flush();
        var blue = Connect("?team=Blue");
        var site = _feed.Connect(null)!;
        await NextAsync(blue);
        await NextAsync(site);
        Change(RealTimeTables.Agent, "1003", new { state = "ready" }); // the frame after a reset sends every pending row
        _feed.Flush();
        Assert.Equal(["realtime/agent/1003"], Keys((await NextAsync(blue)).Data));
        await NextAsync(site);

        // callsHandledToday, which no summary draws: the site's board gets the row, the team's does not
        Change(RealTimeTables.CallType, "20", full with { callsHandledToday = 41 });
        Change(RealTimeTables.Agent, "1001", new { state = "ready" });
        _feed.Flush();
        Assert.Equal(["realtime/agent/1001"], Keys((await NextAsync(blue)).Data));
        Assert.Equal(["realtime/agent/1001", "realtime/calltype/20"], Keys((await NextAsync(site)).Data));

        // only that column: no frame for the team (its next is the next agent's change's)
        Change(RealTimeTables.CallType, "20", full with { callsHandledToday = 42 });
        _feed.Flush();
        Assert.Equal(["realtime/calltype/20"], Keys((await NextAsync(site)).Data));
        Change(RealTimeTables.Agent, "1002", new { state = "ready" });
        _feed.Flush();
        Assert.Equal(["realtime/agent/1002"], Keys((await NextAsync(blue)).Data));

        // a column it draws: sent
        Change(RealTimeTables.CallType, "20", full with { callsQueuedNow = 4, callsHandledToday = 42 });
        _feed.Flush();
        var frame = (await NextAsync(blue)).Data;
        Assert.Equal(["realtime/calltype/20"], Keys(frame));
        Assert.Equal(4, Row(frame, "realtime/calltype/20").GetProperty("value").GetProperty("callsQueuedNow").GetInt32());
    }

    [Fact]
    public async Task Should_send_a_scope_reset_since_the_last_frame_every_pending_row()
    {
        var blue = Connect("?team=Blue");
        await NextAsync(blue);
        Change(RealTimeTables.CallType, "20", new { callsQueuedNow = 2 });
        _feed.Flush();
        Assert.Equal(["realtime/calltype/20"], Keys((await NextAsync(blue)).Data));

        // Support's reset holds a value pending then (3), which changes back to what the scopes were last sent (2) before
        // the frame: Support is sent it (else its tile would stay at 3), Blue, which shows 2, is not
        Change(RealTimeTables.CallType, "20", new { callsQueuedNow = 3 });
        var support = Connect("?group=11");
        var reset = (await NextAsync(support)).Data;
        Assert.Equal(3, Row(reset, "realtime/calltype/20").GetProperty("value").GetProperty("callsQueuedNow").GetInt32());
        Change(RealTimeTables.CallType, "20", new { callsQueuedNow = 2 });
        _feed.Flush();
        var frame = (await NextAsync(support)).Data;
        Assert.Equal(["realtime/calltype/20"], Keys(frame));
        Assert.Equal(2, Row(frame, "realtime/calltype/20").GetProperty("value").GetProperty("callsQueuedNow").GetInt32());

        Change(RealTimeTables.Agent, "1001", new { state = "ready" });
        _feed.Flush();
        Assert.Equal(["realtime/agent/1001"], Keys((await NextAsync(blue)).Data));

        // a snapshot reloaded: the scopes' resets hold its rows, so the next change of each is sent whatever it was sent before
        _sequence++;
        _view.Load(_sequence, [.. _view.Rows().Select(r => r.Table == RealTimeTables.CallType && r.Kind == SiteUpdate.RealTimeKind
            ? r with { Value = Json.ToElement(new { callsQueuedNow = 9 }) } : r)]);
        Assert.Equal("reset", (await NextAsync(blue)).Name);
        Change(RealTimeTables.Agent, "1002", new { state = "ready" });
        _feed.Flush();
        Assert.Equal(["realtime/agent/1002"], Keys((await NextAsync(blue)).Data));
        Change(RealTimeTables.CallType, "20", new { callsQueuedNow = 2 });
        _feed.Flush();
        Assert.Equal(2, Row((await NextAsync(blue)).Data, "realtime/calltype/20").GetProperty("value").GetProperty("callsQueuedNow").GetInt32());
    }

    /// <summary>The row <paramref name="id"/> (kind/table/key) of a reset or frame.</summary>
    private static JsonElement Row(JsonElement data, string id) => data.GetProperty("rows").EnumerateArray()
        .Single(r => $"{r.GetProperty("kind").GetString()}/{r.GetProperty("table").GetString()}/{r.GetProperty("key").GetString()}" == id);

    private static string[] Columns(JsonElement row) => [.. row.GetProperty("value").EnumerateObject().Select(c => c.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Should_reset_the_scopes_whose_members_change_and_no_other()
    {
        var blue = Connect("?team=Blue");
        var support = Connect("?group=11");
        await NextAsync(blue);
        await NextAsync(support);

        // 1004 joins Blue (its teammember row moves from Green): Blue's members change, Support's do not
        Configure("teammember", "104", new { teamId = 7, agentId = 1004 });
        Change(RealTimeTables.Agent, "1002", new { state = "ready", skillGroupId = 11 });
        _feed.Flush();
        var reset = await NextAsync(blue);
        Assert.Equal("reset", reset.Name);
        Assert.Contains("realtime/agent/1004", Keys(reset.Data));
        Assert.Contains("config/agent/1004", Keys(reset.Data));
        Assert.Contains("config/teammember/104", Keys(reset.Data));
        var frame = await NextAsync(support);
        Assert.Equal("frame", frame.Name);
        Assert.Equal(["realtime/agent/1002"], Keys(frame.Data));
        Assert.Equal(1, _feed.ScopeChanges);

        // 1001 takes a Support call: it joins the scope of Support, whose connections get a reset with it
        Change(RealTimeTables.Agent, "1001", new { state = "talking", skillGroupId = 11 });
        _feed.Flush();
        var joined = await NextAsync(support);
        Assert.Equal("reset", joined.Name);
        Assert.Contains("realtime/agent/1001", Keys(joined.Data));
        Assert.Contains("config/skillgroupmember/201", Keys(joined.Data));
        Assert.Equal(2, _feed.ScopeChanges);
    }

    [Fact]
    public async Task Should_reset_a_scope_whose_agent_works_for_a_group_it_does_not_name()
    {
        var support = Connect("?group=11");
        Assert.DoesNotContain("config/skillgroup/10", Keys((await NextAsync(support)).Data));

        // a rename of Sales, which Support's board does not name, is not sent to it; Billing's is
        Configure("skillgroup", "10", new { name = "Sales EMEA" });
        Configure("skillgroup", "12", new { name = "Billing EMEA" });
        _feed.Flush();
        Assert.Equal(["config/skillgroup/12"], Keys((await NextAsync(support)).Data));

        // 1002, a member of Support, now works a Sales call: its grid row names Sales, so the board gets a reset with Sales' row
        Change(RealTimeTables.Agent, "1002", new { state = "talking", skillGroupId = 10 });
        _feed.Flush();
        var reset = await NextAsync(support);
        Assert.Equal("reset", reset.Name);
        Assert.Contains("config/skillgroup/10", Keys(reset.Data));
        Assert.Equal(1, _feed.ScopeChanges);
    }

    [Fact]
    public async Task Should_send_as_removed_a_membership_row_that_leaves_the_scope()
    {
        var blue = Connect("?team=Blue");
        await NextAsync(blue);

        // the supervisor's membership of Billing removed from the view; a new membership of the supervisor's, which then
        // moves to 1004 (not of Blue). The supervisor's groups are not the team's tiles: Blue's members stay the same
        Configure("skillgroupmember", "203", null);
        Configure("skillgroupmember", "299", new { agentId = 1003, skillGroupId = 10 });
        _feed.Flush();
        var first = await NextAsync(blue);
        Assert.Equal(["config/skillgroupmember/299"], Keys(first.Data));
        Assert.Equal(["config/skillgroupmember/203"], Keys(first.Data, "removed"));
        Configure("skillgroupmember", "299", new { agentId = 1004, skillGroupId = 12 });
        _feed.Flush();
        var frame = await NextAsync(blue);
        Assert.Equal("frame", frame.Name);
        Assert.Empty(Keys(frame.Data));
        Assert.Equal(["config/skillgroupmember/299"], Keys(frame.Data, "removed"));
        Assert.Equal(0, _feed.ScopeChanges);
    }

    [Fact]
    public void Should_refuse_a_scope_beyond_the_cap_while_each_has_a_browser()
    {
        var blue = Connect("?team=Blue");
        Connect("?group=11");
        Connect("");
        var alsoBlue = Connect("?team=blue");
        Assert.Same(blue.Stream, alsoBlue.Stream);
        Assert.Null(_feed.Connect(null, Scope("?group=10"), out var refused));
        Assert.Contains("Client:Wallboard:MaxScopes", refused, StringComparison.Ordinal);

        _feed.Disconnect(blue);
        Assert.Null(_feed.Connect(null, Scope("?group=10"), out _)); // Blue still has a browser
        _feed.Disconnect(alsoBlue);
        Assert.NotNull(_feed.Connect(null, Scope("?group=10"), out _)); // Blue, idle, is dropped for it
        Assert.Equal(3, _feed.Scopes);
        Assert.Equal(2, _feed.Refused);
    }

    [Theory]
    [InlineData("?group=10,11", "?group=11, 10,")]
    [InlineData("?team=Blue+team", "?team=%20blue%20TEAM")]
    [InlineData("", "?group=&team=")]
    [InlineData("?tiles=1&group=11,10", "?group=10,11&tiles=1")]
    public void Should_take_one_scope_however_it_is_written(string query, string same) => Assert.Equal(Scope(query).Key, Scope(same).Key);

    [Theory]
    [InlineData("?groups=10", "unknown parameter 'groups'")]
    [InlineData("?group=Sales", "group 'Sales' is not a skill group id")]
    [InlineData("?group=10&group=11", "parameter 'group' is given 2 times")]
    [InlineData("?kiosk=1", "unknown parameter 'kiosk'")]
    [InlineData("?tiles=yes", "tiles is 'yes': give tiles=1")]
    [InlineData("?tiles=1&team=Blue", "tiles=1 with a team")]
    public void Should_refuse_a_malformed_scope_with_its_reason(string query, string reason)
    {
        Assert.Null(WallboardScope.Parse(QueryHelpers(query), out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
