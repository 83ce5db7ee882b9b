using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// What a browser asked GET /events for: the wallboard page's own URL scope, passed on. <c>group=10,11</c> (skill group
/// ids) and <c>team=</c> (a team's id, else its name, case ignored), either, both or neither (the whole site); and
/// <c>tiles=1</c> (a kiosk without a team: the skill group tiles only, no agent, with or without <c>group=</c>).
/// Connections with the same <see cref="Key"/> share one stream of events (<see cref="WallboardFeed"/>).
/// </summary>
public sealed class WallboardScope
{
    /// <summary>The most skill groups one scope may name.</summary>
    public const int MaxGroups = 100;

    /// <summary>The longest team id or name a scope may name.</summary>
    public const int MaxTeamLength = 200;

    public static readonly WallboardScope WholeSite = new([], null, false);

    private WallboardScope(IReadOnlyList<string> groups, string? team, bool tiles)
    {
        Groups = groups;
        Team = team;
        Tiles = tiles;
        Key = IsWholeSite ? "site" : $"group={string.Join(',', groups)}&team={team?.ToLowerInvariant()}{(tiles ? "&tiles=1" : "")}";
    }

    /// <summary>The skill group ids asked for, distinct and sorted; none: no group filter.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>The team asked for (its id or name, as given, trimmed); null: no team filter.</summary>
    public string? Team { get; }

    /// <summary>The skill group tiles only (a kiosk's board without a team): no agent, membership or summary row.</summary>
    public bool Tiles { get; }

    public bool IsWholeSite => Groups.Count == 0 && Team is null && !Tiles;

    /// <summary>Equal for every request that shows the same rows (the groups in any order, the team's name in any case).</summary>
    public string Key { get; }

    public override string ToString() => Key;

    /// <summary>The scope of a GET /events query, or null with the reason it is refused (an unknown or repeated parameter, a group that is not an id, too many groups, a team name too long, tiles other than 1 or with a team).</summary>
    public static WallboardScope? Parse(IEnumerable<KeyValuePair<string, StringValues>> query, out string? error)
    {
        error = null;
        var (groups, team, tiles) = ((string?)null, (string?)null, (string?)null);
        foreach (var (name, values) in query)
        {
            if (name is not ("group" or "team" or "tiles"))
            {
                error = $"unknown parameter '{name}': GET /events takes group (skill group ids, comma separated), team (a team's id or name) and tiles=1 (the skill group tiles only)";
                return null;
            }
            if (values.Count != 1)
            {
                error = $"parameter '{name}' is given {values.Count} times: give it once";
                return null;
            }
            (groups, team, tiles) = name switch
            {
                "group" => (values[0], team, tiles),
                "team" => (groups, values[0], tiles),
                _ => (groups, team, values[0]),
            };
        }
        if (tiles is not (null or "1"))
        {
            error = $"tiles is '{tiles}': give tiles=1 (the skill group tiles only) or leave it out";
            return null;
        }
        var ids = (groups ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Distinct().Order(StringComparer.Ordinal).ToList();
        if (ids.FirstOrDefault(g => g.Length > 18 || !g.All(char.IsAsciiDigit)) is { } bad)
        {
            error = $"group '{bad}' is not a skill group id (digits)";
            return null;
        }
        if (ids.Count > MaxGroups)
        {
            error = $"{ids.Count} groups: a scope names at most {MaxGroups}";
            return null;
        }
        team = string.IsNullOrWhiteSpace(team) ? null : team.Trim();
        if (team?.Length > MaxTeamLength)
        {
            error = $"the team is {team.Length} characters: a team's id or name has at most {MaxTeamLength}";
            return null;
        }
        if (tiles is not null && team is not null)
        {
            error = "tiles=1 with a team: a team's board counts its agents; ask for the team without tiles";
            return null;
        }
        return ids.Count == 0 && team is null && tiles is null ? WholeSite : new WallboardScope(ids, team, tiles is not null);
    }
}

/// <summary>
/// Who and what a scope shows now, from the site's configuration (<see cref="WallboardDirectory.Resolve"/>): the rule the
/// page applies to draw its board, applied at the client to send it only those rows.
/// <list type="bullet">
/// <item><see cref="Agents"/>: with a team, the team's members and supervisors; with groups, the groups' members and the
/// agents whose current call is for one of them (their real-time row's skillGroupId); with both, the team's agents that
/// are also in the groups so.</item>
/// <item><see cref="ShownGroups"/>: the skill group tiles: the groups asked for; with a team, only those (of all, without
/// groups) that have a member of the team (not a supervisor) as a member.</item>
/// <item><see cref="NamedTeams"/>, <see cref="NamedGroups"/>: the teams and skill groups the board names (their
/// configuration rows: names, thresholds): the team asked for and the teams of the agents (member or supervisor); the
/// groups shown, the agents' groups and the groups they work for now.</item>
/// </list>
/// </summary>
public sealed class ScopeMembers(HashSet<string> agents, HashSet<string> shownGroups, HashSet<string>? teamAgents, HashSet<string>? requested,
    HashSet<string>? groupMembers, HashSet<string> namedTeams, HashSet<string> namedGroups)
{
    public IReadOnlySet<string> Agents => agents;

    public IReadOnlySet<string> ShownGroups => shownGroups;

    public IReadOnlySet<string> NamedTeams => namedTeams;

    public IReadOnlySet<string> NamedGroups => namedGroups;

    /// <summary>Whether agent <paramref name="agent"/>, working now for <paramref name="working"/>, belongs to the scope.</summary>
    public bool Admits(string agent, string? working) => requested is null
        ? teamAgents?.Contains(agent) ?? true
        : (teamAgents?.Contains(agent) ?? true) && (groupMembers!.Contains(agent) || (working is not null && requested.Contains(working)));

    /// <summary>Whether an agent's current skill group decides whether it belongs to the scope (a scope of groups).</summary>
    public bool FollowsCalls => requested is not null;

    /// <summary>A scope of tiles only (<see cref="WallboardScope.Tiles"/>): its skill group rows, nothing else.</summary>
    public bool TilesOnly { get; init; }

    /// <summary>Every skill group's tile (tiles only, no group named): the groups are not listed in <see cref="ShownGroups"/>.</summary>
    public bool AllGroups { get; init; }

    public bool SameAs(ScopeMembers? other) => other is not null && TilesOnly == other.TilesOnly && AllGroups == other.AllGroups
        && agents.SetEquals(other.Agents) && shownGroups.SetEquals(other.ShownGroups)
        && namedTeams.SetEquals(other.NamedTeams) && namedGroups.SetEquals(other.NamedGroups);
}

/// <summary>
/// Which rows of the view a scoped connection gets (a whole-site connection gets every row). Exactly what the page reads
/// to draw the scope, so it draws what it draws from the whole view:
/// <list type="bullet">
/// <item>configuration skillgroup and team: the groups and teams the board names (<see cref="ScopeMembers.NamedGroups"/>,
/// <see cref="ScopeMembers.NamedTeams"/>); reasoncode, calltype, service: whole (reason texts; the call type and service
/// summaries show every row);</item>
/// <item>configuration agent: the scope's agents; teammember, teamsupervisor, skillgroupmember: the rows of the scope's
/// agents (their team, the teams they supervise, their skill groups);</item>
/// <item>real-time agent: the scope's agents; skillgroup: the groups shown; calltype and service: every row, with only the
/// columns the page's call type and service summaries draw (<see cref="SummaryColumns"/>, <see cref="ForScope"/>);</item>
/// <item>nothing else (peripheral, routingscript: the page reads neither);</item>
/// <item>a scope of tiles only (<see cref="WallboardScope.Tiles"/>, a kiosk without a team): the configuration and
/// real-time skillgroup rows of its tiles (every group, or those asked for), nothing else.</item>
/// </list>
/// </summary>
public static class ScopeRule
{
    /// <summary>
    /// The columns of a real-time call type or service row the page's summaries draw (wallboard.js <c>summary</c>): a scoped
    /// connection gets those rows with only these (about a quarter of the row), a whole-site one the whole row.
    /// </summary>
    public static readonly IReadOnlyList<string> SummaryColumns =
    [
        "callsQueuedNow", "longestInQueueSince", "callsOfferedHalf", "callsAnsweredHalf", "callsAbandonedHalf", "averageSpeedOfAnswerHalf",
        "serviceLevelHalf", "serviceLevelTo5", "serviceLevelToday", "peripheralStatus",
    ];

    private static readonly ConditionalWeakTable<ViewRow, ViewRow> Summaries = [];

    /// <summary>Whether a scope gets <paramref name="row"/> cut to <see cref="SummaryColumns"/> (a real-time call type or service row).</summary>
    public static bool Summarized(ViewRow row) =>
        row.Kind == SiteUpdate.RealTimeKind && row.Table is RealTimeTables.CallType or RealTimeTables.Service;

    /// <summary>
    /// <paramref name="row"/> as a scope gets it: a real-time call type or service row with only <see cref="SummaryColumns"/>
    /// (its key, version and times kept), any other row as it is. Each row is cut once (kept while the row lives).
    /// </summary>
    public static ViewRow ForScope(ViewRow row) =>
        Summarized(row) && row.Value is { ValueKind: JsonValueKind.Object } ? Summaries.GetValue(row, Summary) : row;

    private static ViewRow Summary(ViewRow row)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var column in SummaryColumns)
            {
                if (row.Value!.Value.TryGetProperty(column, out var value))
                {
                    writer.WritePropertyName(column);
                    value.WriteTo(writer);
                }
            }
            writer.WriteEndObject();
        }
        using var summary = JsonDocument.Parse(buffer.WrittenMemory);
        return row with { Value = summary.RootElement.Clone() };
    }

    /// <summary>The configuration tables whose rows name an agent (agentId): a scope gets the rows of its agents.</summary>
    public static bool NamesAnAgent(string kind, string table) =>
        kind == SiteUpdate.ConfigKind && table is "teammember" or "teamsupervisor" or "skillgroupmember";

    /// <summary>Whether a scope of <paramref name="members"/> gets <paramref name="row"/>; tiles only: the skill group rows of its tiles.</summary>
    public static bool Holds(ScopeMembers members, ViewRow row) => members.TilesOnly
        ? row.Table == "skillgroup" && (members.AllGroups || members.ShownGroups.Contains(row.Key))
        : (row.Kind, row.Table) switch
        {
            (SiteUpdate.ConfigKind, "skillgroup") => members.NamedGroups.Contains(row.Key),
            (SiteUpdate.ConfigKind, "team") => members.NamedTeams.Contains(row.Key),
            (SiteUpdate.ConfigKind, "reasoncode" or "calltype" or "service") => true,
            (SiteUpdate.ConfigKind, "agent") => members.Agents.Contains(row.Key),
            (SiteUpdate.ConfigKind, "teammember" or "teamsupervisor" or "skillgroupmember") => AgentOf(row) is { } agent && members.Agents.Contains(agent),
            (SiteUpdate.RealTimeKind, RealTimeTables.Agent) => members.Agents.Contains(row.Key),
            (SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup) => members.ShownGroups.Contains(row.Key),
            (SiteUpdate.RealTimeKind, RealTimeTables.CallType or RealTimeTables.Service) => true,
            _ => false,
        };

    /// <summary>The agent a teammember, teamsupervisor or skillgroupmember row names (agentId), null when it names none.</summary>
    public static string? AgentOf(ViewRow row) => Field(row.Value, "agentId");

    /// <summary>A field of a row's value as text (a number's digits), null when absent or null.</summary>
    public static string? Field(JsonElement? value, string name) =>
        value is { ValueKind: JsonValueKind.Object } v && v.TryGetProperty(name, out var field)
            ? field.ValueKind switch
            {
                JsonValueKind.Number => field.GetRawText(),
                JsonValueKind.String => field.GetString(),
                _ => null,
            }
            : null;
}
