using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// A deterministic (seeded) simulation of agent activity over the configured agents and skill groups. Every interval
/// it publishes the rows that changed; every FullRefreshEvery intervals, all rows.
/// </summary>
public sealed class SimulatedFeed(IServiceScopeFactory scopes, RealTimePublisher publisher, RealTimeOptions options, VersionClock versions,
    TimeProvider clock, ILogger<SimulatedFeed> logger) : BackgroundService
{
    private static readonly string[] States = ["ready", "talking", "not-ready"];
    private readonly Random _random = new(options.Seed);
    private readonly Dictionary<long, string> _agentStates = [];
    private readonly Dictionary<string, Dictionary<string, RealTimeRow>> _rows = new() { ["agent"] = [], ["skillgroup"] = [] };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Simulate)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.Interval);
        var tick = 0L;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                tick++;
                await TickAsync(tick % options.FullRefreshEvery == 0, stoppingToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                logger.LogWarning(exception, "Real-time interval {Tick} was not published", tick);
            }
        }
    }

    private async Task TickAsync(bool fullRefresh, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CentralDbContext>();
        var agents = await db.Agents.AsNoTracking().Select(a => a.Id).ToListAsync(cancellationToken);
        var members = await db.SkillGroupMembers.AsNoTracking().ToListAsync(cancellationToken);
        var skillGroups = await db.SkillGroups.AsNoTracking().Select(s => s.Id).ToListAsync(cancellationToken);
        var now = clock.GetUtcNow();

        var changedAgents = new List<RealTimeRow>();
        foreach (var agent in agents)
        {
            var known = _agentStates.TryGetValue(agent, out var state);
            if (known && _random.NextDouble() > 0.2)
            {
                continue;
            }
            _agentStates[agent] = States[_random.Next(States.Length)];
            changedAgents.Add(Put("agent", agent, new { state = _agentStates[agent] }, now));
        }
        var changedGroups = new List<RealTimeRow>();
        foreach (var group in skillGroups)
        {
            var memberStates = members.Where(m => m.SkillGroupId == group && _agentStates.ContainsKey(m.AgentId)).Select(m => _agentStates[m.AgentId]).ToList();
            var data = new
            {
                agentsReady = memberStates.Count(s => s == "ready"),
                agentsTalking = memberStates.Count(s => s == "talking"),
                agentsNotReady = memberStates.Count(s => s == "not-ready"),
            };
            var key = group.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_rows["skillgroup"].TryGetValue(key, out var previous) && previous.Data.GetRawText() == Json.ToElement(data).GetRawText())
            {
                continue;
            }
            changedGroups.Add(Put("skillgroup", group, data, now));
        }
        await publisher.PublishAsync("agent", fullRefresh ? [.. _rows["agent"].Values] : changedAgents, fullRefresh, cancellationToken);
        await publisher.PublishAsync("skillgroup", fullRefresh ? [.. _rows["skillgroup"].Values] : changedGroups, fullRefresh, cancellationToken);
    }

    private RealTimeRow Put(string table, long id, object data, DateTimeOffset now)
    {
        var key = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var row = new RealTimeRow(key, versions.Next(), now, Json.ToElement(data));
        _rows[table][key] = row;
        return row;
    }
}
