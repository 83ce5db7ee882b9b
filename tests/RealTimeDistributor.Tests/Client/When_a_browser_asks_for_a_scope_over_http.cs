using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.Tests.Client;

/// <summary>
/// GET /events?team= and ?group= over real HTTP (Kestrel on loopback), on a center of 2,400 agents in 160 teams of 15,
/// each agent in two of 120 skill groups: a team's reset holds exactly the rows of its board (its members and supervisors,
/// their team and group memberships, the tiles of its members' groups, the small tables whole: <see cref="ScopeRule"/>)
/// and is a small part of the site's; a malformed scope is answered 400 with the reason.
/// </summary>
public sealed class When_a_browser_asks_for_a_scope_over_http(ITestOutputHelper output)
{
    private const int Agents = 2_400;
    private const int Groups = 120;
    private const int TeamSize = 15;

    private static int TeamOf(int agent) => ((agent - 1) / TeamSize) + 1;

    private static int SupervisorOf(int team) => (team * TeamSize % Agents) + 1; // a member of the next team

    private static int[] GroupsOf(int agent) => [1 + (agent % Groups), 1 + ((agent + 7) % Groups)];

    private static ViewRow Row(string kind, string table, int key, object value) =>
        new(kind, table, $"{key}", 1, Json.ToElement(value), DateTimeOffset.UnixEpoch, 1);

    private static IEnumerable<ViewRow> Center()
    {
        var teams = Agents / TeamSize;
        yield return Row(SiteUpdate.ConfigKind, "peripheral", 1, new { name = "ACD" });
        yield return Row(SiteUpdate.ConfigKind, "reasoncode", 1, new { peripheralId = 1, code = 1, text = "Break" });
        for (var g = 1; g <= Groups; g++)
        {
            yield return Row(SiteUpdate.ConfigKind, "skillgroup", g, new { name = $"Skill group {g}", peripheralId = 1 });
            yield return Row(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, g, new { callsQueuedNow = g % 7, serviceLevelHalf = 0.8 });
        }
        for (var c = 1; c <= 60; c++)
        {
            yield return Row(SiteUpdate.ConfigKind, "calltype", c, new { name = $"Call type {c}" });
            yield return Row(SiteUpdate.RealTimeKind, RealTimeTables.CallType, c, new { callsQueuedNow = c % 5 });
        }
        for (var t = 1; t <= teams; t++)
        {
            yield return Row(SiteUpdate.ConfigKind, "team", t, new { name = $"Team {t}", peripheralId = 1 });
            yield return Row(SiteUpdate.ConfigKind, "teamsupervisor", t, new { teamId = t, agentId = SupervisorOf(t) });
        }
        for (var a = 1; a <= Agents; a++)
        {
            yield return Row(SiteUpdate.ConfigKind, "agent", a, new { name = $"Agent {a}", peripheralId = 1 });
            yield return Row(SiteUpdate.ConfigKind, "teammember", a, new { teamId = TeamOf(a), agentId = a });
            yield return Row(SiteUpdate.ConfigKind, "skillgroupmember", (2 * a) - 1, new { agentId = a, skillGroupId = GroupsOf(a)[0] });
            yield return Row(SiteUpdate.ConfigKind, "skillgroupmember", 2 * a, new { agentId = a, skillGroupId = GroupsOf(a)[1] });
            yield return Row(SiteUpdate.RealTimeKind, RealTimeTables.Agent, a, new { state = "talking", skillGroupId = GroupsOf(a)[0], stateSince = DateTimeOffset.UnixEpoch });
        }
    }

    [Fact]
    public async Task Should_send_a_team_only_the_rows_of_its_board_and_refuse_a_malformed_scope()
    {
        var center = Center().ToList();
        var view = new ClientView();
        view.Load(1, center);
        var (started, port) = await WallboardHost.StartAsync(view);
        await using var app = started;
        using var http = new HttpClient();

        var site = await WallboardHost.ReadFirstEventAsync(http, port);
        var team = await WallboardHost.ReadFirstEventAsync(http, port, "?team=team%205");
        output.WriteLine($"reset of the site {site.Length:N0} bytes, of team 5 {team.Length:N0} bytes");
        Assert.Equal(center.Count, Keys(site).Count);

        // the board of team 5: its 15 members and its supervisor; its members' skill groups' tiles
        var agents = Enumerable.Range(1, Agents).Where(a => TeamOf(a) == 5).Append(SupervisorOf(5)).Select(a => $"{a}").ToHashSet();
        var tiles = Enumerable.Range(1, Agents).Where(a => TeamOf(a) == 5).SelectMany(GroupsOf).Select(g => $"{g}").ToHashSet();
        // the teams and groups it names: team 5, its agents' teams (the supervisor's, team 6) and the teams they supervise
        // (team 4's supervisor is a member of team 5); the tiles and the agents' groups (the supervisor's too)
        var teams = center.Where(r => r.Table is "teammember" or "teamsupervisor" && agents.Contains(r.Value!.Value.GetProperty("agentId").GetRawText()))
            .Select(r => r.Value!.Value.GetProperty("teamId").GetRawText()).Append("5").ToHashSet();
        var groups = agents.SelectMany(a => GroupsOf(int.Parse(a, CultureInfo.InvariantCulture))).Select(g => $"{g}").Concat(tiles).ToHashSet();
        Assert.Equal(["4", "5", "6"], teams.Order(StringComparer.Ordinal));
        var expected = center.Where(r => (r.Kind, r.Table) switch
        {
            ("config", "reasoncode" or "calltype" or "service") or ("realtime", "calltype" or "service") => true,
            ("config", "team") => teams.Contains(r.Key),
            ("config", "skillgroup") => groups.Contains(r.Key),
            ("config", "agent") or ("realtime", "agent") => agents.Contains(r.Key),
            ("config", "teammember" or "teamsupervisor" or "skillgroupmember") => agents.Contains(r.Value!.Value.GetProperty("agentId").GetRawText()),
            ("realtime", "skillgroup") => tiles.Contains(r.Key),
            _ => false,
        }).Select(r => $"{r.Kind}/{r.Table}/{r.Key}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, Keys(team).Order(StringComparer.Ordinal));
        Assert.Contains("config/teamsupervisor/4", Keys(team)); // team 4's supervisor is a member of team 5
        Assert.True(team.Length * 10 < site.Length, $"the team's reset is {team.Length:N0} bytes, the site's {site.Length:N0}");

        using var bad = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/events?group=Sales"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("group 'Sales' is not a skill group id", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static List<string> Keys(string resetEvent)
    {
        var data = resetEvent.Split('\n').Single(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..];
        using var json = JsonDocument.Parse(Encoding.UTF8.GetBytes(data));
        return [.. json.RootElement.GetProperty("rows").EnumerateArray()
            .Select(r => $"{r.GetProperty("kind").GetString()}/{r.GetProperty("table").GetString()}/{r.GetProperty("key").GetString()}")];
    }
}
