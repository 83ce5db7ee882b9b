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
    private readonly Memberships _teamMembers = new(); // (team, agent)
    private readonly Memberships _teamSupervisors = new();
    private readonly Memberships _groupMembers = new(); // (skill group, agent)
    private readonly Dictionary<string, string> _working = []; // agent -> skill group of its current call
    private readonly Dictionary<string, HashSet<string>> _workingFor = []; // skill group -> agents whose current call is for it

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
        _workingFor.Clear();
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
                if (_working.Remove(row.Key, out var was) && _workingFor.TryGetValue(was, out var agents) && agents.Remove(row.Key) && agents.Count == 0)
                {
                    _workingFor.Remove(was);
                }
                if (!removed && ScopeRule.Field(row.Value, "skillGroupId") is { } group)
                {
                    _working[row.Key] = group;
                    (_workingFor.TryGetValue(group, out var working) ? working : _workingFor[group] = []).Add(row.Key);
                }
                return null;
            default:
                return null;
        }
    }

    private string? Member(Memberships rows, ViewRow row, string of, bool removed)
    {
        Version++;
        return rows.Set(row.Key, !removed && ScopeRule.Field(row.Value, of) is { } owner && ScopeRule.AgentOf(row) is { } agent ? (owner, agent) : null);
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
        if (scope.Tiles)
        {
            HashSet<string> tiles = [.. scope.Groups];
            return new ScopeMembers([], tiles, [], null, null, [], tiles) { TilesOnly = true, AllGroups = tiles.Count == 0 };
        }
        HashSet<string>? teamAgents = null;
        HashSet<string>? teamMembers = null;
        string? teamKey = null;
        if (scope.Team is { } team)
        {
            teamKey = TeamOf(team);
            teamMembers = [.. _teamMembers.AgentsOf(teamKey)];
            teamAgents = [.. teamMembers, .. _teamSupervisors.AgentsOf(teamKey)];
        }
        HashSet<string>? requested = scope.Groups.Count == 0 ? null : [.. scope.Groups];
        HashSet<string>? groupMembers = requested is null ? null : [.. requested.SelectMany(_groupMembers.AgentsOf)];
        HashSet<string> agents;
        if (requested is null)
        {
            agents = teamAgents ?? [];
        }
        else
        {
            agents = [.. groupMembers!, .. requested.SelectMany(g => _workingFor.GetValueOrDefault(g) ?? [])];
            if (teamAgents is not null)
            {
                agents.IntersectWith(teamAgents);
            }
        }
        HashSet<string> shown = teamMembers is null
            ? [.. requested!]
            : [.. teamMembers.SelectMany(_groupMembers.OwnersOf).Where(g => requested is null || requested.Contains(g))];
        HashSet<string> teams = [.. agents.SelectMany(a => _teamMembers.OwnersOf(a).Concat(_teamSupervisors.OwnersOf(a)))];
        if (teamKey is not null)
        {
            teams.Add(teamKey);
        }
        HashSet<string> groups = [.. shown, .. agents.SelectMany(_groupMembers.OwnersOf), .. agents.Select(WorkingFor).OfType<string>()];
        return new ScopeMembers(agents, shown, teamAgents, requested, groupMembers, teams, groups);
    }

    /// <summary>
    /// The rows of one membership table (row key -> owner and agent), indexed both ways, so a scope's members are found
    /// without a scan of the table (at 12,000 agents a scan per scope was ~3 ms, per scope at every membership change).
    /// </summary>
    private sealed class Memberships
    {
        private readonly Dictionary<string, (string Of, string Agent)> _rows = [];
        private readonly Dictionary<string, HashSet<string>> _byOwner = []; // owner -> row keys
        private readonly Dictionary<string, HashSet<string>> _byAgent = []; // agent -> row keys

        public void Clear()
        {
            _rows.Clear();
            _byOwner.Clear();
            _byAgent.Clear();
        }

        /// <summary>Sets (or, with null, removes) a row; returns the agent it named before, null when none.</summary>
        public string? Set(string key, (string Of, string Agent)? value)
        {
            string? before = null;
            if (_rows.Remove(key, out var held))
            {
                before = held.Agent;
                Unindex(_byOwner, held.Of, key);
                Unindex(_byAgent, held.Agent, key);
            }
            if (value is { } row)
            {
                _rows[key] = row;
                (_byOwner.TryGetValue(row.Of, out var owned) ? owned : _byOwner[row.Of] = []).Add(key);
                (_byAgent.TryGetValue(row.Agent, out var named) ? named : _byAgent[row.Agent] = []).Add(key);
            }
            return before;
        }

        /// <summary>The agents of an owner's rows (a team's members, a group's members).</summary>
        public IEnumerable<string> AgentsOf(string? owner) =>
            owner is not null && _byOwner.TryGetValue(owner, out var keys) ? keys.Select(k => _rows[k].Agent) : [];

        /// <summary>The owners of an agent's rows (its teams, its groups).</summary>
        public IEnumerable<string> OwnersOf(string agent) => _byAgent.TryGetValue(agent, out var keys) ? keys.Select(k => _rows[k].Of) : [];

        private static void Unindex(Dictionary<string, HashSet<string>> index, string of, string key)
        {
            if (index.TryGetValue(of, out var keys) && keys.Remove(key) && keys.Count == 0)
            {
                index.Remove(of);
            }
        }
    }
}
