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
    private readonly Dictionary<long, CallWindows> _agentCalls = [];
    private readonly Dictionary<long, long> _serviceOfSkillGroup = [];
    private readonly Dictionary<long, long> _peripheralOfSkillGroup = [];
    private readonly Dictionary<long, long> _peripheralOfService = [];
    private readonly Dictionary<long, int> _serviceLevelSeconds = [];
    private readonly Dictionary<long, ActiveCall> _calls = [];
    private readonly Dictionary<long, ActiveCall> _wrappingUp = [];
    private readonly PriorityQueue<long, long> _serviceLevelDue = new();
    private readonly Dictionary<long, TimeZoneInfo> _zoneOfPeripheral = [];
    private readonly StatisticsRules _rules;
    private readonly Dictionary<long, string> _peripheralStatus = [];
    private readonly RowSet<AgentColumns> _agentRows;
    private readonly RowSet<SkillGroupColumns> _skillGroupRows;
    private readonly RowSet<CallColumns> _callTypeRows;
    private readonly RowSet<ServiceColumns> _serviceRows;
    private StatisticsConfiguration _configuration = StatisticsConfiguration.Empty;
    private DateTimeOffset? _collectedAt;

    /// <summary>
    /// Half hours and days are those of each peripheral's configured time zone, or of <paramref name="clock"/>'s local
    /// time zone (call types, and peripherals without one). <paramref name="rules"/>: short abandons and the service
    /// level's treatment of abandons (the defaults without).
    /// </summary>
    public StatisticsEngine(VersionClock versions, TimeProvider clock, StatisticsRules? rules = null)
    {
        _zone = clock.LocalTimeZone;
        _rules = rules ?? StatisticsRules.Default;
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
                _wrappingUp.Remove(id);
            }
            foreach (var id in agents)
            {
                _agents.TryAdd(id, new AgentColumns(AgentStates.LoggedOut, 0, now, null));
            }
            _zoneOfPeripheral.Clear();
            foreach (var (peripheral, zone) in configuration.PeripheralTimeZones ?? new Dictionary<long, TimeZoneInfo>())
            {
                _zoneOfPeripheral[peripheral] = zone;
            }
            Keep(_skillGroups, configuration.SkillGroups.ToDictionary(s => s.Id, s => ZoneOf(s.PeripheralId)));
            Keep(_callTypes, configuration.CallTypes.ToDictionary(c => c.Id, _ => _zone));
            Keep(_services, configuration.Services.ToDictionary(s => s.Id, s => ZoneOf(s.PeripheralId)));
            Keep(_agentCalls, agents.ToDictionary(id => id, id => configuration.PeripheralOf(id) is { } p ? ZoneOf(p) : _zone));
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
            PassServiceLevelThresholds(activity.At);
            switch (activity)
            {
                case AgentStateChanged changed when _agents.ContainsKey(changed.AgentId):
                    _agents[changed.AgentId] = new AgentColumns(changed.State, changed.ReasonCode, changed.At, changed.SkillGroupId);
                    if (changed.State != AgentStates.WrapUp && _wrappingUp.Remove(changed.AgentId, out var wrapped))
                    {
                        Handled(wrapped, changed.At);
                    }
                    break;
                case CallOffered offered:
                    var call = new ActiveCall(offered.CallTypeId, offered.SkillGroupId,
                        _serviceOfSkillGroup.TryGetValue(offered.SkillGroupId, out var service) ? service : null,
                        offered.At, _serviceLevelSeconds.GetValueOrDefault(offered.CallTypeId, 20), AnsweredAt: null);
                    _calls[offered.CallId] = call;
                    _serviceLevelDue.Enqueue(offered.CallId, (offered.At + TimeSpan.FromSeconds(call.ServiceLevelSeconds)).UtcTicks);
                    Count(call, offered.At, new Tally { Offered = 1 });
                    break;
                case CallAnswered answered when _calls.TryGetValue(answered.CallId, out var queued) && queued.AnsweredAt is null:
                    var wait = Math.Max(0, (answered.At - queued.OfferedAt).TotalSeconds);
                    var inServiceLevel = !queued.ServiceLevelDone;
                    _calls[answered.CallId] = queued with { AnsweredAt = answered.At, AgentId = answered.AgentId, ServiceLevelDone = true };
                    Count(queued, answered.At, new Tally
                    {
                        Answered = 1,
                        AnswerWaitSeconds = wait,
                        ServiceLevelOffered = inServiceLevel ? 1 : 0,
                        AnsweredInServiceLevel = inServiceLevel ? 1 : 0,
                    });
                    _agentCalls.GetValueOrDefault(answered.AgentId)?.Add(answered.At, new Tally { Answered = 1, AnswerWaitSeconds = wait });
                    break;
                case CallAbandoned abandoned when _calls.Remove(abandoned.CallId, out var lost) && lost.AnsweredAt is null:
                    Count(lost, abandoned.At, Abandon(lost, abandoned.At));
                    break;
                case CallCompleted completed when _calls.Remove(completed.CallId, out var done) && done.AnsweredAt is not null:
                    // handled when the agent's wrap-up ends (its next state other than wrap-up); at once without an agent
                    if (done.AgentId is { } agent && _agents.ContainsKey(agent))
                    {
                        if (_wrappingUp.Remove(agent, out var earlier))
                        {
                            Handled(earlier, completed.At);
                        }
                        _wrappingUp[agent] = done;
                    }
                    else
                    {
                        Handled(done, completed.At);
                    }
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

    /// <summary>Short abandons (before RealTime:ShortAbandon) count only as such; the others as abandoned, and within the service level unless its threshold passed.</summary>
    private Tally Abandon(ActiveCall call, DateTimeOffset at)
    {
        if (at - call.OfferedAt < _rules.ShortAbandon)
        {
            return new Tally { ShortAbandoned = 1 };
        }
        var inServiceLevel = !call.ServiceLevelDone;
        return new Tally { Abandoned = 1, ServiceLevelOffered = inServiceLevel ? 1 : 0, AbandonedInServiceLevel = inServiceLevel ? 1 : 0 };
    }

    /// <summary>A handled call counts in its skill group, call type and service, and for the agent that answered it (when known: not after a resync).</summary>
    private void Handled(ActiveCall call, DateTimeOffset at)
    {
        var handled = new Tally { Handled = 1, HandleSeconds = Math.Max(0, (at - call.AnsweredAt!.Value).TotalSeconds) };
        Count(call, at, handled);
        if (call.AgentId is { } agent)
        {
            _agentCalls.GetValueOrDefault(agent)?.Add(at, handled);
        }
    }

    /// <summary>A call still waiting when its service-level threshold passes (strictly before <paramref name="until"/>) has missed it: it counts in the service level's calls offered then.</summary>
    private void PassServiceLevelThresholds(DateTimeOffset until)
    {
        while (_serviceLevelDue.TryPeek(out var callId, out var due) && due < until.UtcTicks)
        {
            _serviceLevelDue.Dequeue();
            if (_calls.TryGetValue(callId, out var call) && !call.ServiceLevelDone)
            {
                _calls[callId] = call with { ServiceLevelDone = true };
                Count(call, new DateTimeOffset(due, TimeSpan.Zero), new Tally { ServiceLevelOffered = 1 });
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
            PassServiceLevelThresholds(now);
            var skillGroupQueues = new Dictionary<long, (int Count, DateTimeOffset Oldest)>();
            var callTypeQueues = new Dictionary<long, (int Count, DateTimeOffset Oldest)>();
            var serviceQueues = new Dictionary<long, (int Count, DateTimeOffset Oldest)>();
            foreach (var call in _calls.Values.Where(c => c.AnsweredAt is null))
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
                var calls = AgentCalls(id, now);
                _agentRows.Observe(id, _agents[id] with { PeripheralStatus = StatusOf(_configuration.PeripheralOf(id)), Half = calls.Half, Today = calls.Today },
                    now, agents);
            }
            var counts = AgentCountsBySkillGroup();
            var available = LongestAvailable();
            var skillGroups = new List<RealTimeRow>();
            foreach (var (id, windows) in _skillGroups)
            {
                _skillGroupRows.Observe(id, new SkillGroupColumns(counts.GetValueOrDefault(id), Calls(windows, skillGroupQueues, id, now, available.BySkillGroup),
                    StatusOf(_peripheralOfSkillGroup.GetValueOrDefault(id))), now, skillGroups);
            }
            var callTypes = new List<RealTimeRow>();
            foreach (var (id, windows) in _callTypes)
            {
                _callTypeRows.Observe(id, Calls(windows, callTypeQueues, id, now, null), now, callTypes);
            }
            var services = new List<RealTimeRow>();
            foreach (var (id, windows) in _services)
            {
                _serviceRows.Observe(id, new ServiceColumns(Calls(windows, serviceQueues, id, now, available.ByService), StatusOf(_peripheralOfService.GetValueOrDefault(id))),
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
            _wrappingUp.Remove(id);
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
                call.OfferedAt, _serviceLevelSeconds.GetValueOrDefault(call.CallTypeId, 20), call.AnsweredAt, ServiceLevelDone: true);
        }
    }

    /// <summary>An agent's Half and Today calls as of <paramref name="now"/>; windows with nothing in them are not rolled (most agents, most intervals).</summary>
    private (Tally Half, Tally Today) AgentCalls(long id, DateTimeOffset now)
    {
        if (!_agentCalls.TryGetValue(id, out var windows) || (windows.Half == default && windows.Today == default))
        {
            return default;
        }
        windows.Roll(now);
        return (windows.Half, windows.Today);
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

    private CallColumns Calls(CallWindows windows, Dictionary<long, (int Count, DateTimeOffset Oldest)> queues, long id, DateTimeOffset now,
        Dictionary<long, DateTimeOffset>? longestAvailable)
    {
        windows.Roll(now);
        var queued = queues.TryGetValue(id, out var q) ? q : default;
        DateTimeOffset? available = longestAvailable is not null && longestAvailable.TryGetValue(id, out var since) ? since : null;
        return new CallColumns(queued.Count, queued.Count == 0 ? null : queued.Oldest, windows.To5, windows.Half, windows.Today, _rules.ServiceLevelAbandons,
            longestAvailable is null ? CallColumns.NoAgents : available);
    }

    /// <summary>When the longest-ready member of each skill group, and agent of each service's peripheral, became ready (ICM LongestAvailAgent).</summary>
    private (Dictionary<long, DateTimeOffset> BySkillGroup, Dictionary<long, DateTimeOffset> ByService) LongestAvailable()
    {
        var bySkillGroup = new Dictionary<long, DateTimeOffset>();
        foreach (var member in _configuration.Members)
        {
            if (_agents.TryGetValue(member.AgentId, out var agent) && agent.State == AgentStates.Ready)
            {
                Earliest(bySkillGroup, member.SkillGroupId, agent.StateSince);
            }
        }
        var byPeripheral = new Dictionary<long, DateTimeOffset>();
        foreach (var (id, agent) in _agents)
        {
            if (agent.State == AgentStates.Ready && _configuration.PeripheralOf(id) is { } peripheral)
            {
                Earliest(byPeripheral, peripheral, agent.StateSince);
            }
        }
        var byService = new Dictionary<long, DateTimeOffset>();
        foreach (var (service, peripheral) in _peripheralOfService)
        {
            if (byPeripheral.TryGetValue(peripheral, out var since))
            {
                byService[service] = since;
            }
        }
        return (bySkillGroup, byService);
    }

    private static void Earliest(Dictionary<long, DateTimeOffset> earliest, long id, DateTimeOffset at)
    {
        if (!earliest.TryGetValue(id, out var current) || at < current)
        {
            earliest[id] = at;
        }
    }

    private TimeZoneInfo ZoneOf(long peripheralId) => _zoneOfPeripheral.GetValueOrDefault(peripheralId, _zone);

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

    /// <summary>Drops the windows of deleted ids and adds those of new ones; a key whose time zone changed starts again from zero.</summary>
    private static void Keep(Dictionary<long, CallWindows> windows, Dictionary<long, TimeZoneInfo> zones)
    {
        foreach (var id in windows.Keys.Where(id => !zones.ContainsKey(id)).ToList())
        {
            windows.Remove(id);
        }
        foreach (var (id, zone) in zones)
        {
            if (!windows.TryGetValue(id, out var current) || current.Zone.Id != zone.Id)
            {
                windows[id] = new CallWindows(zone);
            }
        }
    }

    /// <summary>A call in progress; <see cref="ServiceLevelDone"/> once it counted in the service level's calls offered (answered, or its threshold passed).</summary>
    private readonly record struct ActiveCall(long CallTypeId, long SkillGroupId, long? ServiceId, DateTimeOffset OfferedAt, int ServiceLevelSeconds,
        DateTimeOffset? AnsweredAt, long? AgentId = null, bool ServiceLevelDone = false);
}
