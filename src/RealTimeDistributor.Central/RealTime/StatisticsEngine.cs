using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>The rows of one real-time table that an interval publishes.</summary>
public sealed record TableRows(string Table, IReadOnlyList<RealTimeRow> Rows);

/// <summary>
/// The live statistics engine: keeps, in memory, the state of every configured agent, the calls in progress and the
/// To5/Half/Today windows of every skill group, call type and service, from the <see cref="ActivityEvent"/>s it is
/// given. <see cref="Collect"/> computes every row and returns those whose value changed since the previous call.
/// Thread-safe (one lock); the feed is its only caller today.
/// </summary>
public sealed partial class StatisticsEngine
{
    private readonly Lock _gate = new();
    private readonly TimeZoneInfo _zone;
    private readonly Dictionary<long, AgentColumns> _agents = [];
    private readonly Dictionary<long, CallWindows> _skillGroups = [];
    private readonly Dictionary<long, CallWindows> _callTypes = [];
    private readonly Dictionary<long, CallWindows> _services = [];
    private readonly Dictionary<long, long> _serviceOfSkillGroup = [];
    private readonly Dictionary<long, long> _peripheralOfSkillGroup = [];
    private readonly Dictionary<long, long> _peripheralOfService = [];
    private readonly Dictionary<long, int> _serviceLevelSeconds = [];
    private readonly Dictionary<long, ActiveCall> _calls = [];
    private readonly Dictionary<long, string> _peripheralStatus = [];
    private readonly RowSet<AgentColumns> _agentRows;
    private readonly RowSet<SkillGroupColumns> _skillGroupRows;
    private readonly RowSet<CallColumns> _callTypeRows;
    private readonly RowSet<ServiceColumns> _serviceRows;
    private StatisticsConfiguration _configuration = StatisticsConfiguration.Empty;
    private DateTimeOffset? _collectedAt;

    /// <summary>Half hours and days are those of <paramref name="clock"/>'s local time zone, as the router's are.</summary>
    public StatisticsEngine(VersionClock versions, TimeProvider clock)
    {
        _zone = clock.LocalTimeZone;
        _agentRows = new(RealTimeTables.Agent, versions);
        _skillGroupRows = new(RealTimeTables.SkillGroup, versions);
        _callTypeRows = new(RealTimeTables.CallType, versions);
        _serviceRows = new(RealTimeTables.Service, versions);
    }

    /// <summary>Rows currently held, over all tables.</summary>
    public int RowCount
    {
        get
        {
            lock (_gate)
            {
                return _agentRows.Count + _skillGroupRows.Count + _callTypeRows.Count + _serviceRows.Count;
            }
        }
    }

    /// <summary>Calls offered and not yet abandoned or completed.</summary>
    public int CallsInProgress
    {
        get
        {
            lock (_gate)
            {
                return _calls.Count;
            }
        }
    }

    /// <summary>Takes a new configuration: new agents start logged out, rows of deleted entities are dropped (a deleted row is not published).</summary>
    public void Configure(StatisticsConfiguration configuration, DateTimeOffset now)
    {
        lock (_gate)
        {
            _configuration = configuration;
            var agents = configuration.Agents.ToHashSet();
            foreach (var id in _agents.Keys.Where(id => !agents.Contains(id)).ToList())
            {
                _agents.Remove(id);
            }
            foreach (var id in agents)
            {
                _agents.TryAdd(id, new AgentColumns(AgentStates.LoggedOut, 0, now, null));
            }
            Keep(_skillGroups, configuration.SkillGroups.Select(s => s.Id).ToHashSet());
            Keep(_callTypes, configuration.CallTypes.Select(c => c.Id).ToHashSet());
            Keep(_services, configuration.Services.Select(s => s.Id).ToHashSet());
            _serviceOfSkillGroup.Clear();
            _peripheralOfSkillGroup.Clear();
            _peripheralOfService.Clear();
            foreach (var service in configuration.Services)
            {
                _peripheralOfService[service.Id] = service.PeripheralId;
            }
            var serviceOfPeripheral = configuration.Services.GroupBy(s => s.PeripheralId).ToDictionary(g => g.Key, g => g.Min(s => s.Id));
            foreach (var group in configuration.SkillGroups)
            {
                _peripheralOfSkillGroup[group.Id] = group.PeripheralId;
                if (serviceOfPeripheral.TryGetValue(group.PeripheralId, out var service))
                {
                    _serviceOfSkillGroup[group.Id] = service;
                }
            }
            _serviceLevelSeconds.Clear();
            foreach (var callType in configuration.CallTypes)
            {
                _serviceLevelSeconds[callType.Id] = callType.ServiceLevelSeconds;
            }
            _agentRows.RemoveExcept(agents);
            _skillGroupRows.RemoveExcept(_skillGroups.Keys.ToHashSet());
            _callTypeRows.RemoveExcept(_callTypes.Keys.ToHashSet());
            _serviceRows.RemoveExcept(_services.Keys.ToHashSet());
        }
    }

    public void Apply(ActivityEvent activity)
    {
        lock (_gate)
        {
            switch (activity)
            {
                case AgentStateChanged changed when _agents.ContainsKey(changed.AgentId):
                    _agents[changed.AgentId] = new AgentColumns(changed.State, changed.ReasonCode, changed.At, changed.SkillGroupId);
                    break;
                case CallOffered offered:
                    var call = new ActiveCall(offered.CallTypeId, offered.SkillGroupId,
                        _serviceOfSkillGroup.TryGetValue(offered.SkillGroupId, out var service) ? service : null,
                        offered.At, _serviceLevelSeconds.GetValueOrDefault(offered.CallTypeId, 20), Answered: false);
                    _calls[offered.CallId] = call;
                    Count(call, offered.At, new Tally(1, 0, 0, 0, 0, 0));
                    break;
                case CallAnswered answered when _calls.TryGetValue(answered.CallId, out var queued) && !queued.Answered:
                    var wait = Math.Max(0, (answered.At - queued.OfferedAt).TotalSeconds);
                    _calls[answered.CallId] = queued with { Answered = true };
                    Count(queued, answered.At, new Tally(0, 1, 0, 0, wait <= queued.ServiceLevelSeconds ? 1 : 0, wait));
                    break;
                case CallAbandoned abandoned when _calls.Remove(abandoned.CallId, out var lost) && !lost.Answered:
                    Count(lost, abandoned.At, new Tally(0, 0, 0, 1, 0, 0));
                    break;
                case CallCompleted completed when _calls.Remove(completed.CallId, out var done) && done.Answered:
                    Count(done, completed.At, new Tally(0, 0, 1, 0, 0, 0));
                    break;
                case PeripheralStatusChanged status:
                    _peripheralStatus[status.PeripheralId] = status.Status;
                    break;
                case PeripheralResynced resync:
                    Resync(resync);
                    break;
            }
        }
    }

    /// <summary>
    /// Computes every row as of <paramref name="now"/> and returns, per table, the rows whose value changed since
    /// the previous call (each with a new version and <paramref name="now"/> as its central update time), or every
    /// row when <paramref name="fullRefresh"/> is set.
    /// </summary>
    public IReadOnlyList<TableRows> Collect(DateTimeOffset now, bool fullRefresh)
    {
        lock (_gate)
        {
            _collectedAt = now;
            var skillGroupQueues = new Dictionary<long, (int Count, DateTimeOffset Oldest)>();
            var callTypeQueues = new Dictionary<long, (int Count, DateTimeOffset Oldest)>();
            var serviceQueues = new Dictionary<long, (int Count, DateTimeOffset Oldest)>();
            foreach (var call in _calls.Values.Where(c => !c.Answered))
            {
                Queue(skillGroupQueues, call.SkillGroupId, call.OfferedAt);
                Queue(callTypeQueues, call.CallTypeId, call.OfferedAt);
                if (call.ServiceId is { } service)
                {
                    Queue(serviceQueues, service, call.OfferedAt);
                }
            }

            var agents = new List<RealTimeRow>();
            foreach (var id in _configuration.Agents)
            {
                _agentRows.Observe(id, _agents[id] with { PeripheralStatus = StatusOf(_configuration.PeripheralOf(id)) }, now, agents);
            }
            var counts = AgentCountsBySkillGroup();
            var skillGroups = new List<RealTimeRow>();
            foreach (var (id, windows) in _skillGroups)
            {
                _skillGroupRows.Observe(id, new SkillGroupColumns(counts.GetValueOrDefault(id), Calls(windows, skillGroupQueues, id, now),
                    StatusOf(_peripheralOfSkillGroup.GetValueOrDefault(id))), now, skillGroups);
            }
            var callTypes = new List<RealTimeRow>();
            foreach (var (id, windows) in _callTypes)
            {
                _callTypeRows.Observe(id, Calls(windows, callTypeQueues, id, now), now, callTypes);
            }
            var services = new List<RealTimeRow>();
            foreach (var (id, windows) in _services)
            {
                _serviceRows.Observe(id, new ServiceColumns(Calls(windows, serviceQueues, id, now), StatusOf(_peripheralOfService.GetValueOrDefault(id))),
                    now, services);
            }

            if (fullRefresh)
            {
                (agents, skillGroups, callTypes, services) = ([], [], [], []);
                _agentRows.AddAllTo(agents);
                _skillGroupRows.AddAllTo(skillGroups);
                _callTypeRows.AddAllTo(callTypes);
                _serviceRows.AddAllTo(services);
            }
            return
            [
                new(RealTimeTables.Agent, agents),
                new(RealTimeTables.SkillGroup, skillGroups),
                new(RealTimeTables.CallType, callTypes),
                new(RealTimeTables.Service, services),
            ];
        }
    }

    /// <summary>
    /// Every row as the last <see cref="Collect"/> left it (its last published value, version and central update time),
    /// copied under the lock, so the set is consistent with one interval, and the time of that interval (null before the
    /// first). Rows of entities removed by a later <see cref="Configure"/> are left out.
    /// </summary>
    public (DateTimeOffset? IntervalAt, IReadOnlyList<TableRows> Tables) Current()
    {
        lock (_gate)
        {
            List<RealTimeRow> agents = [], skillGroups = [], callTypes = [], services = [];
            _agentRows.AddAllTo(agents);
            _skillGroupRows.AddAllTo(skillGroups);
            _callTypeRows.AddAllTo(callTypes);
            _serviceRows.AddAllTo(services);
            return (_collectedAt,
            [
                new(RealTimeTables.Agent, agents),
                new(RealTimeTables.SkillGroup, skillGroups),
                new(RealTimeTables.CallType, callTypes),
                new(RealTimeTables.Service, services),
            ]);
        }
    }

    /// <summary>The peripheral's agents take the reported states (logged out if not reported); its calls are replaced, none counted again.</summary>
    private void Resync(PeripheralResynced resync)
    {
        foreach (var id in _configuration.Agents.Where(id => _configuration.PeripheralOf(id) == resync.PeripheralId))
        {
            _agents[id] = new AgentColumns(AgentStates.LoggedOut, 0, resync.At, null);
        }
        foreach (var agent in resync.Agents.Where(a => _agents.ContainsKey(a.AgentId)))
        {
            _agents[agent.AgentId] = new AgentColumns(agent.State, agent.ReasonCode, agent.At, agent.SkillGroupId);
        }
        foreach (var id in resync.Forget)
        {
            _calls.Remove(id);
        }
        foreach (var call in resync.Calls)
        {
            _calls[call.CallId] = new ActiveCall(call.CallTypeId, call.SkillGroupId,
                _serviceOfSkillGroup.TryGetValue(call.SkillGroupId, out var service) ? service : null,
                call.OfferedAt, _serviceLevelSeconds.GetValueOrDefault(call.CallTypeId, 20), call.AnsweredAt is not null);
        }
    }

    private string StatusOf(long? peripheralId) =>
        peripheralId is { } p && _peripheralStatus.TryGetValue(p, out var status) ? status : PeripheralStatuses.Online;

    private Dictionary<long, AgentCounts> AgentCountsBySkillGroup()
    {
        var counts = new Dictionary<long, AgentCounts>();
        foreach (var member in _configuration.Members)
        {
            if (!_agents.TryGetValue(member.AgentId, out var agent) || agent.State == AgentStates.LoggedOut)
            {
                continue;
            }
            var c = counts.GetValueOrDefault(member.SkillGroupId);
            counts[member.SkillGroupId] = agent.State switch
            {
                AgentStates.Ready => c with { LoggedOn = c.LoggedOn + 1, Ready = c.Ready + 1 },
                AgentStates.Talking => c with { LoggedOn = c.LoggedOn + 1, Talking = c.Talking + 1 },
                AgentStates.WrapUp => c with { LoggedOn = c.LoggedOn + 1, WrapUp = c.WrapUp + 1 },
                AgentStates.NotReady => c with { LoggedOn = c.LoggedOn + 1, NotReady = c.NotReady + 1 },
                _ => c with { LoggedOn = c.LoggedOn + 1 },
            };
        }
        return counts;
    }

    private static CallColumns Calls(CallWindows windows, Dictionary<long, (int Count, DateTimeOffset Oldest)> queues, long id, DateTimeOffset now)
    {
        windows.Roll(now);
        var queued = queues.TryGetValue(id, out var q) ? q : default;
        return new CallColumns(queued.Count, queued.Count == 0 ? null : queued.Oldest, windows.To5, windows.Half, windows.Today);
    }

    private static void Queue(Dictionary<long, (int Count, DateTimeOffset Oldest)> queues, long id, DateTimeOffset offeredAt)
    {
        queues[id] = queues.TryGetValue(id, out var q)
            ? (q.Count + 1, offeredAt < q.Oldest ? offeredAt : q.Oldest)
            : (1, offeredAt);
    }

    private void Count(ActiveCall call, DateTimeOffset at, Tally delta)
    {
        _skillGroups.GetValueOrDefault(call.SkillGroupId)?.Add(at, delta);
        _callTypes.GetValueOrDefault(call.CallTypeId)?.Add(at, delta);
        if (call.ServiceId is { } service)
        {
            _services.GetValueOrDefault(service)?.Add(at, delta);
        }
    }

    private void Keep(Dictionary<long, CallWindows> windows, HashSet<long> ids)
    {
        foreach (var id in windows.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            windows.Remove(id);
        }
        foreach (var id in ids)
        {
            windows.TryAdd(id, new CallWindows(_zone));
        }
    }

    private readonly record struct ActiveCall(long CallTypeId, long SkillGroupId, long? ServiceId, DateTimeOffset OfferedAt, int ServiceLevelSeconds, bool Answered);
}
