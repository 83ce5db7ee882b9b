using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// What a wallboard scope's members are computed from, kept from the view's events (<see cref="WallboardFeed"/>, under its
/// lock): the teams' names, the team members, team supervisors and skill group members (configuration), and the skill
/// group each agent works for now (its real-time row's skillGroupId). <see cref="Version"/> moves with every change of
/// the configuration part, so the feed knows when to resolve its scopes again.
/// </summary>
public sealed class WallboardDirectory
{
    private readonly Dictionary<string, string> _teams = []; // team key -> name
    private readonly Dictionary<string, (string Of, string Agent)> _teamMembers = []; // row key -> (team, agent)
    private readonly Dictionary<string, (string Of, string Agent)> _teamSupervisors = [];
    private readonly Dictionary<string, (string Of, string Agent)> _groupMembers = []; // row key -> (skill group, agent)
    private readonly Dictionary<string, string> _working = []; // agent -> skill group of its current call

    /// <summary>Moves with every change of a team, team member, team supervisor or skill group member.</summary>
    public long Version { get; private set; }

    /// <summary>The skill group agent <paramref name="agent"/> works for now (its real-time row), null when none.</summary>
    public string? WorkingFor(string agent) => _working.GetValueOrDefault(agent);

    /// <summary>Replaces what it holds with <paramref name="rows"/> (a snapshot loaded).</summary>
    public void Load(IEnumerable<ViewRow> rows)
    {
        _teams.Clear();
        _teamMembers.Clear();
        _teamSupervisors.Clear();
        _groupMembers.Clear();
        _working.Clear();
        foreach (var row in rows)
        {
            Apply(row, removed: false);
        }
        Version++;
    }

    /// <summary>Takes a changed or removed row; returns the agent a membership row named before (null for other rows).</summary>
    public string? Apply(ViewRow row, bool removed)
    {
        switch (row.Kind, row.Table)
        {
            case (SiteUpdate.ConfigKind, "team"):
                Version++;
                if (removed)
                {
                    _teams.Remove(row.Key);
                }
                else
                {
                    _teams[row.Key] = ScopeRule.Field(row.Value, "name") ?? "";
                }
                return null;
            case (SiteUpdate.ConfigKind, "teammember"):
                return Member(_teamMembers, row, "teamId", removed);
            case (SiteUpdate.ConfigKind, "teamsupervisor"):
                return Member(_teamSupervisors, row, "teamId", removed);
            case (SiteUpdate.ConfigKind, "skillgroupmember"):
                return Member(_groupMembers, row, "skillGroupId", removed);
            case (SiteUpdate.RealTimeKind, RealTimeTables.Agent):
                if (!removed && ScopeRule.Field(row.Value, "skillGroupId") is { } group)
                {
                    _working[row.Key] = group;
                }
                else
                {
                    _working.Remove(row.Key);
                }
                return null;
            default:
                return null;
        }
    }

    private string? Member(Dictionary<string, (string Of, string Agent)> rows, ViewRow row, string of, bool removed)
    {
        Version++;
        var before = rows.TryGetValue(row.Key, out var held) ? held.Agent : null;
        if (!removed && ScopeRule.Field(row.Value, of) is { } owner && ScopeRule.AgentOf(row) is { } agent)
        {
            rows[row.Key] = (owner, agent);
        }
        else
        {
            rows.Remove(row.Key);
        }
        return before;
    }

    /// <summary>
    /// The team <paramref name="team"/> names as the page finds it: the team of that id, else the one of that name (case
    /// ignored; of several, the lowest id); null when none.
    /// </summary>
    public string? TeamOf(string team)
    {
        if (_teams.ContainsKey(team))
        {
            return team;
        }
        var wanted = team.ToLowerInvariant();
        return _teams.Where(t => t.Value.ToLowerInvariant() == wanted).Select(t => t.Key).Order(ClientView.KeyOrder.Instance).FirstOrDefault();
    }

    /// <summary>The members of a scope now (<see cref="ScopeMembers"/>); never null: a team unknown yet has none.</summary>
    public ScopeMembers Resolve(WallboardScope scope)
    {
        HashSet<string>? teamAgents = null;
        HashSet<string>? teamMembers = null;
        string? teamKey = null;
        if (scope.Team is { } team)
        {
            teamKey = TeamOf(team);
            teamMembers = [.. _teamMembers.Values.Where(m => m.Of == teamKey).Select(m => m.Agent)];
            teamAgents = [.. teamMembers, .. _teamSupervisors.Values.Where(m => m.Of == teamKey).Select(m => m.Agent)];
        }
        HashSet<string>? requested = scope.Groups.Count == 0 ? null : [.. scope.Groups];
        HashSet<string>? groupMembers = requested is null ? null : [.. _groupMembers.Values.Where(m => requested.Contains(m.Of)).Select(m => m.Agent)];
        HashSet<string> agents;
        if (requested is null)
        {
            agents = teamAgents ?? [];
        }
        else
        {
            agents = [.. groupMembers!, .. _working.Where(w => requested.Contains(w.Value)).Select(w => w.Key)];
            if (teamAgents is not null)
            {
                agents.IntersectWith(teamAgents);
            }
        }
        HashSet<string> shown = teamMembers is null
            ? [.. requested!]
            : [.. _groupMembers.Values.Where(m => teamMembers.Contains(m.Agent) && (requested is null || requested.Contains(m.Of))).Select(m => m.Of)];
        HashSet<string> teams = [.. _teamMembers.Values.Concat(_teamSupervisors.Values).Where(m => agents.Contains(m.Agent)).Select(m => m.Of)];
        if (teamKey is not null)
        {
            teams.Add(teamKey);
        }
        HashSet<string> groups = [.. shown, .. _groupMembers.Values.Where(m => agents.Contains(m.Agent)).Select(m => m.Of),
            .. agents.Select(WorkingFor).OfType<string>()];
        return new ScopeMembers(agents, shown, teamAgents, requested, groupMembers, teams, groups);
    }
}
