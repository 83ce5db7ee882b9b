using Microsoft.EntityFrameworkCore.Metadata;

namespace RealTimeDistributor.Data.Configuration;

/// <summary>
/// The replicated configuration tables by wire name (the first word of a routing key: "skillgroup.upsert", "skillgroup.42").
/// Listed parents first, the order a snapshot loads them in.
/// </summary>
public static class ConfigTables
{
    public static readonly IReadOnlyList<ConfigTable> All =
    [
        new ConfigTable<Peripheral>("peripheral", ConfigColumn<Peripheral>.Of("name", r => r.Name), ConfigColumn<Peripheral>.Of("kind", r => r.Kind),
            ConfigColumn<Peripheral>.Of("time_zone", r => r.TimeZone)),
        new ConfigTable<ReasonCode>("reasoncode", ConfigColumn<ReasonCode>.Of("peripheral_id", r => r.PeripheralId), ConfigColumn<ReasonCode>.Of("code", r => r.Code),
            ConfigColumn<ReasonCode>.Of("text", r => r.Text)),
        new ConfigTable<SkillGroup>("skillgroup", ConfigColumn<SkillGroup>.Of("name", r => r.Name), ConfigColumn<SkillGroup>.Of("peripheral_id", r => r.PeripheralId),
            ConfigColumn<SkillGroup>.Of("service_level_green", r => r.ServiceLevelGreen), ConfigColumn<SkillGroup>.Of("service_level_amber", r => r.ServiceLevelAmber),
            ConfigColumn<SkillGroup>.Of("queue_amber", r => r.QueueAmber), ConfigColumn<SkillGroup>.Of("queue_red", r => r.QueueRed),
            ConfigColumn<SkillGroup>.Of("longest_wait_amber_seconds", r => r.LongestWaitAmberSeconds),
            ConfigColumn<SkillGroup>.Of("longest_wait_red_seconds", r => r.LongestWaitRedSeconds),
            ConfigColumn<SkillGroup>.Of("not_ready_amber_seconds", r => r.NotReadyAmberSeconds),
            ConfigColumn<SkillGroup>.Of("not_ready_red_seconds", r => r.NotReadyRedSeconds)),
        new ConfigTable<Agent>("agent", ConfigColumn<Agent>.Of("name", r => r.Name), ConfigColumn<Agent>.Of("peripheral_id", r => r.PeripheralId)),
        new ConfigTable<SkillGroupMember>("skillgroupmember",
            ConfigColumn<SkillGroupMember>.Of("agent_id", r => r.AgentId), ConfigColumn<SkillGroupMember>.Of("skill_group_id", r => r.SkillGroupId)),
        new ConfigTable<Team>("team", ConfigColumn<Team>.Of("name", r => r.Name), ConfigColumn<Team>.Of("peripheral_id", r => r.PeripheralId)),
        new ConfigTable<TeamMember>("teammember", ConfigColumn<TeamMember>.Of("team_id", r => r.TeamId), ConfigColumn<TeamMember>.Of("agent_id", r => r.AgentId)),
        new ConfigTable<TeamSupervisor>("teamsupervisor",
            ConfigColumn<TeamSupervisor>.Of("team_id", r => r.TeamId), ConfigColumn<TeamSupervisor>.Of("agent_id", r => r.AgentId)),
        new ConfigTable<CallType>("calltype", ConfigColumn<CallType>.Of("name", r => r.Name), ConfigColumn<CallType>.Of("service_level_seconds", r => r.ServiceLevelSeconds)),
        new ConfigTable<Service>("service", ConfigColumn<Service>.Of("name", r => r.Name), ConfigColumn<Service>.Of("peripheral_id", r => r.PeripheralId)),
        new ConfigTable<RoutingScript>("routingscript", ConfigColumn<RoutingScript>.Of("name", r => r.Name),
            ConfigColumn<RoutingScript>.Of("revision", r => r.Revision), ConfigColumn<RoutingScript>.Of("body", r => r.Body)),
    ];

    private static readonly Dictionary<string, ConfigTable> ByName = All.ToDictionary(t => t.Name);

    private static readonly Dictionary<Type, ConfigTable> ByType = All.ToDictionary(t => t.Type);

    /// <summary>Empties every configuration table in one statement.</summary>
    public static string TruncateAllSql { get; } = $"TRUNCATE {string.Join(", ", All.Select(t => $"\"{t.Name}\""))}";

    /// <summary>The table with wire name <paramref name="name"/>.</summary>
    public static bool TryFind(string name, out ConfigTable table) => ByName.TryGetValue(name, out table!);

    /// <summary>The row type of the table with wire name <paramref name="name"/>.</summary>
    public static bool TryGet(string name, out Type type)
    {
        type = ByName.TryGetValue(name, out var table) ? table.Type : null!;
        return type is not null;
    }

    /// <summary>The table whose rows are <paramref name="type"/>.</summary>
    public static ConfigTable Of(Type type) => ByType[type];

    /// <summary>Throws unless every descriptor matches the EF Core <paramref name="model"/> (run once at start).</summary>
    public static void Verify(IModel model)
    {
        foreach (var table in All)
        {
            table.Verify(model);
        }
    }
}
