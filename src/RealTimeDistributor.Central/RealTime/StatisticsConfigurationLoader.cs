using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>The center's read of <see cref="StatisticsConfiguration"/> from its database.</summary>
internal static class StatisticsConfigurationLoader
{
    /// <summary>Reads the configuration of record, ordered by id so that a seeded simulation sees it the same way every time.</summary>
    public static async Task<StatisticsConfiguration> LoadAsync(CentralDbContext db, CancellationToken cancellationToken) => new(
        await db.Agents.AsNoTracking().OrderBy(a => a.Id).Select(a => a.Id).ToListAsync(cancellationToken),
        await db.SkillGroups.AsNoTracking().OrderBy(s => s.Id).Select(s => new ConfiguredSkillGroup(s.Id, s.PeripheralId)).ToListAsync(cancellationToken),
        await db.SkillGroupMembers.AsNoTracking().OrderBy(m => m.AgentId).ThenBy(m => m.SkillGroupId)
            .Select(m => new ConfiguredMember(m.AgentId, m.SkillGroupId)).ToListAsync(cancellationToken),
        await db.CallTypes.AsNoTracking().OrderBy(c => c.Id).Select(c => new ConfiguredCallType(c.Id, c.ServiceLevelSeconds)).ToListAsync(cancellationToken),
        await db.Set<Service>().AsNoTracking().OrderBy(s => s.Id).Select(s => new ConfiguredService(s.Id, s.PeripheralId)).ToListAsync(cancellationToken),
        await db.Agents.AsNoTracking().ToDictionaryAsync(a => a.Id, a => a.PeripheralId, cancellationToken),
        StatisticsConfiguration.TimeZones(await db.Set<Peripheral>().AsNoTracking().ToListAsync(cancellationToken)));
}
