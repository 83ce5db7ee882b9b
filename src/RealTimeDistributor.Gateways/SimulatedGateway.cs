namespace RealTimeDistributor.Gateways;

/// <summary>
/// The seeded simulation (<see cref="SimulatedActivity"/>) of one peripheral, fed through a <see cref="PeripheralGateway"/>:
/// what `rtd-lab simulate` runs, one per peripheral, so the center hears simulated activity the way it hears a real ACD.
/// </summary>
public sealed class SimulatedGateway(PeripheralGateway gateway, RealTimeOptions options, TimeProvider clock)
{
    private readonly SimulatedActivity _simulation = new(options);

    public PeripheralGateway Gateway => gateway;

    /// <summary>The simulation's view: the peripheral's agents, skill groups and services, every call type.</summary>
    public static StatisticsConfiguration ForPeripheral(StatisticsConfiguration configuration, long peripheralId)
    {
        var agents = configuration.Agents.Where(a => configuration.PeripheralOf(a) == peripheralId).ToList();
        var groups = configuration.SkillGroups.Where(g => g.PeripheralId == peripheralId).ToList();
        var groupIds = groups.Select(g => g.Id).ToHashSet();
        return new StatisticsConfiguration(agents, groups,
            [.. configuration.Members.Where(m => groupIds.Contains(m.SkillGroupId) && configuration.PeripheralOf(m.AgentId) == peripheralId)],
            configuration.CallTypes, [.. configuration.Services.Where(s => s.PeripheralId == peripheralId)],
            agents.ToDictionary(a => a, _ => peripheralId));
    }

    public void Configure(StatisticsConfiguration configuration) =>
        _simulation.Configure(ForPeripheral(configuration, gateway.PeripheralId), clock.GetUtcNow());

    /// <summary>One step: what the simulation did until now goes out.</summary>
    public async Task StepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await gateway.PublishAsync(await _simulation.ReadAsync(now, cancellationToken), now, cancellationToken);
    }

    /// <summary>Steps every <see cref="RealTimeOptions.Interval"/>, reloading the configuration every <see cref="RealTimeOptions.ConfigurationRefresh"/>, until cancelled.</summary>
    public async Task RunAsync(Func<CancellationToken, Task<StatisticsConfiguration>> load, CancellationToken cancellationToken)
    {
        Configure(await load(cancellationToken));
        var configuredAt = clock.GetUtcNow();
        using var timer = new PeriodicTimer(options.Interval, clock);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (clock.GetUtcNow() - configuredAt >= options.ConfigurationRefresh)
            {
                Configure(await load(cancellationToken));
                configuredAt = clock.GetUtcNow();
            }
            await StepAsync(CancellationToken.None); // a step once begun goes out whole: what was simulated is sent
        }
    }
}
