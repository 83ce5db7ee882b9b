using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Gateways;

/// <summary>A skill group and the peripheral it belongs to (its calls count for that peripheral's service).</summary>
public readonly record struct ConfiguredSkillGroup(long Id, long PeripheralId);

public readonly record struct ConfiguredMember(long AgentId, long SkillGroupId);

public readonly record struct ConfiguredCallType(long Id, int ServiceLevelSeconds);

public readonly record struct ConfiguredService(long Id, long PeripheralId);

/// <summary>The part of the configuration the statistics engine computes rows for: one row per agent, skill group, call type and service.</summary>
public sealed record StatisticsConfiguration(
    IReadOnlyList<long> Agents,
    IReadOnlyList<ConfiguredSkillGroup> SkillGroups,
    IReadOnlyList<ConfiguredMember> Members,
    IReadOnlyList<ConfiguredCallType> CallTypes,
    IReadOnlyList<ConfiguredService> Services,
    IReadOnlyDictionary<long, long>? PeripheralOfAgent = null,
    IReadOnlyDictionary<long, TimeZoneInfo>? PeripheralTimeZones = null)
{
    /// <summary>The time zones of the peripherals that name one (an unknown id is left out: the center's zone applies).</summary>
    public static Dictionary<long, TimeZoneInfo> TimeZones(IEnumerable<Peripheral> peripherals) => peripherals
        .Where(p => !string.IsNullOrEmpty(p.TimeZone) && TimeZoneInfo.TryFindSystemTimeZoneById(p.TimeZone, out _))
        .ToDictionary(p => p.Id, p => TimeZoneInfo.FindSystemTimeZoneById(p.TimeZone));

    public static readonly StatisticsConfiguration Empty = new([], [], [], [], []);

    /// <summary>The peripheral an agent belongs to (none for a configuration built without it).</summary>
    public long? PeripheralOf(long agentId) => PeripheralOfAgent is { } map && map.TryGetValue(agentId, out var p) ? p : null;

    /// <summary>The peripherals with at least one agent or skill group: those a gateway may report for.</summary>
    public HashSet<long> Peripherals() => (PeripheralOfAgent?.Values ?? []).Concat(SkillGroups.Select(s => s.PeripheralId)).ToHashSet();

    /// <summary>The statistics' view of configuration rows (e.g. <see cref="DemoCenter.Build"/>), ordered by id as the center reads them from its database.</summary>
    public static StatisticsConfiguration From(IEnumerable<ConfigRow> rows)
    {
        var list = rows.ToList();
        return new StatisticsConfiguration(
            [.. list.OfType<Agent>().Select(a => a.Id).Order()],
            [.. list.OfType<SkillGroup>().OrderBy(s => s.Id).Select(s => new ConfiguredSkillGroup(s.Id, s.PeripheralId))],
            [.. list.OfType<SkillGroupMember>().OrderBy(m => m.AgentId).ThenBy(m => m.SkillGroupId).Select(m => new ConfiguredMember(m.AgentId, m.SkillGroupId))],
            [.. list.OfType<CallType>().OrderBy(c => c.Id).Select(c => new ConfiguredCallType(c.Id, c.ServiceLevelSeconds))],
            [.. list.OfType<Service>().OrderBy(s => s.Id).Select(s => new ConfiguredService(s.Id, s.PeripheralId))],
            list.OfType<Agent>().ToDictionary(a => a.Id, a => a.PeripheralId),
            TimeZones(list.OfType<Peripheral>()));
    }

    /// <summary>
    /// A made-up contact center for benchmarks and tests: 10 agents per skill group, each agent in two groups,
    /// 20 call types, 10 peripherals with one service each.
    /// </summary>
    public static StatisticsConfiguration Synthetic(int agents)
    {
        const int peripherals = 10;
        var groups = Math.Max(1, agents / 10);
        return new StatisticsConfiguration(
            [.. Enumerable.Range(1, agents).Select(i => (long)i)],
            [.. Enumerable.Range(1, groups).Select(g => new ConfiguredSkillGroup(g, 1 + (g % peripherals)))],
            [.. Enumerable.Range(1, agents).SelectMany(i => new[]
            {
                new ConfiguredMember(i, 1 + ((i - 1) % groups)),
                new ConfiguredMember(i, 1 + (i % groups)),
            }).Distinct()],
            [.. Enumerable.Range(1, 20).Select(c => new ConfiguredCallType(c, 10 + c))],
            [.. Enumerable.Range(1, peripherals).Select(p => new ConfiguredService(p, p))],
            Enumerable.Range(1, agents).ToDictionary(i => (long)i, i => (long)(1 + ((1 + ((i - 1) % groups)) % peripherals))));
    }
}
