namespace RealTimeDistributor.Data.Configuration;

/// <summary>
/// The replicated configuration tables by wire name (the first word of a routing key: "skillgroup.upsert", "skillgroup.42").
/// Listed parents first, the order a snapshot loads them in.
/// </summary>
public static class ConfigTables
{
    public static readonly IReadOnlyList<(string Name, Type Type)> All =
    [
        ("peripheral", typeof(Peripheral)),
        ("skillgroup", typeof(SkillGroup)),
        ("agent", typeof(Agent)),
        ("skillgroupmember", typeof(SkillGroupMember)),
        ("calltype", typeof(CallType)),
        ("service", typeof(Service)),
        ("routingscript", typeof(RoutingScript)),
    ];

    private static readonly Dictionary<string, Type> ByName = All.ToDictionary(t => t.Name, t => t.Type);

    public static bool TryGet(string name, out Type type) => ByName.TryGetValue(name, out type!);

    public static string NameOf(Type type) => All.First(t => t.Type == type).Name;
}
