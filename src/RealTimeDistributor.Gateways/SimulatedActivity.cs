namespace RealTimeDistributor.Gateways;

/// <summary>
/// The default activity source: a deterministic discrete-event simulation of a contact center over the configured
/// agents, skill groups, memberships and call types. Calls arrive at <c>RealTime:CallsPerSecond</c>, or (0, the
/// default) at <c>RealTime:Load</c> % of the calls the staffing can handle, swinging slowly, with exponential gaps,
/// for a random call type and a skill group drawn by its staffing (members); a call waits for the longest-available
/// ready agent of that group or abandons when the caller's patience runs out; agents talk, wrap up, become ready again
/// and take breaks (not ready, with a reason code). An agent logs in as a center already running would show it: on a
/// call, on a break or ready, in the proportions the load gives. Every random draw comes from one <see cref="Random"/>
/// seeded with <c>RealTime:Seed</c> and timers fire in (time, creation) order, so the same seed, configuration and
/// read times give the same events.
/// </summary>
public sealed class SimulatedActivity(RealTimeOptions options) : IActivitySource
{
    private static readonly TimeSpan LogInSpread = TimeSpan.FromSeconds(10);
    private static readonly (TimeSpan Min, TimeSpan Max) Talk = (TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(360));
    private static readonly (TimeSpan Min, TimeSpan Max) WrapUp = (TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(50));
    private static readonly (TimeSpan Min, TimeSpan Max) Patience = (TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(150));
    private static readonly (TimeSpan Min, TimeSpan Max) BetweenBreaks = (TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(40));
    private static readonly (TimeSpan Min, TimeSpan Max) Break = (TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
    private const int ReasonCodes = 5;

    /// <summary>Mean talk plus wrap-up: what one answered call costs an agent.</summary>
    public static readonly TimeSpan HandleTime = Mean(Talk) + Mean(WrapUp);

    /// <summary>The share of a logged-on agent's time not on a break.</summary>
    public static readonly double Working = Mean(BetweenBreaks) / (Mean(BetweenBreaks) + Mean(Break));

    /// <summary>With a rate from the staffing, it swings by this share over <see cref="Cycle"/>: queues build at the peaks and drain in the troughs.</summary>
    private const double Swing = 0.2;

    private static readonly TimeSpan Cycle = TimeSpan.FromMinutes(20);

    private readonly Random _random = new(options.Seed);
    private readonly PriorityQueue<Timer, (long Ticks, long Order)> _timers = new();
    private readonly Dictionary<long, SimAgent> _agents = [];
    private readonly Dictionary<long, SimGroup> _groups = [];
    private readonly Dictionary<long, long> _waitingCalls = [];
    private List<ActivityEvent> _events = [];
    private long[] _callTypes = [];
    private long[] _routableGroups = [];
    private double[] _groupWeights = [];
    private double _callsPerSecond;
    private double _busyAtLogIn;
    private bool _arrivalDue;
    private DateTimeOffset _now;
    private DateTimeOffset _start;
    private bool _started;
    private long _order;
    private long _lastCallId;
    private long _readyStamp;

    public void Configure(StatisticsConfiguration configuration, DateTimeOffset now)
    {
        if (!_started)
        {
            (_now, _start, _started) = (now, now, true);
        }
        Advance(now);
        var members = configuration.Members.ToLookup(m => m.AgentId, m => m.SkillGroupId);
        var groups = configuration.SkillGroups.Select(g => g.Id).ToHashSet();
        foreach (var (id, group) in _groups.Where(g => !groups.Contains(g.Key)).ToList())
        {
            foreach (var call in group.Waiting)
            {
                _waitingCalls.Remove(call);
                Emit(new CallAbandoned(_now, call));
            }
            _groups.Remove(id);
        }
        foreach (var id in groups)
        {
            _groups.TryAdd(id, new SimGroup());
        }
        var agents = configuration.Agents.ToHashSet();
        foreach (var (id, agent) in _agents.Where(a => !agents.Contains(a.Key)).ToList())
        {
            LeaveReady(id, agent);
            if (agent.CallId is { } call)
            {
                Emit(new CallCompleted(_now, call));
            }
            _agents.Remove(id);
        }
        foreach (var id in configuration.Agents)
        {
            var memberOf = members[id].Where(groups.Contains).ToArray();
            if (!_agents.TryGetValue(id, out var agent))
            {
                _agents[id] = new SimAgent { Groups = memberOf };
                Schedule(Between((TimeSpan.Zero, LogInSpread)), TimerKind.LogIn, id);
                continue;
            }
            if (!agent.Groups.SequenceEqual(memberOf))
            {
                LeaveReady(id, agent);
                agent.Groups = memberOf;
                JoinReady(id, agent);
            }
        }
        _callTypes = [.. configuration.CallTypes.Select(c => c.Id)];
        // an agent in k groups counts 1/k in each; a group's capacity is the calls its working agents can handle
        var share = _agents.Where(a => a.Value.Groups.Length > 0).SelectMany(a => a.Value.Groups.Select(g => (Group: g, Share: 1.0 / a.Value.Groups.Length)))
            .GroupBy(m => m.Group).ToDictionary(g => g.Key, g => g.Sum(m => m.Share) * Working);
        _routableGroups = [.. configuration.SkillGroups.Select(g => g.Id).Where(share.ContainsKey)];
        _groupWeights = [.. _routableGroups.Select(g => share[g])];
        var capacity = share.Values.Sum() / HandleTime.TotalSeconds;
        _callsPerSecond = options.CallsPerSecond > 0 ? options.CallsPerSecond : capacity * options.Load / 100.0;
        _busyAtLogIn = capacity > 0 ? Math.Min(0.95, _callsPerSecond / capacity) * Working : 0;
        if (!_arrivalDue)
        {
            ScheduleArrival();
        }
    }

    /// <summary>The calls per second the simulation offers now (<c>RealTime:CallsPerSecond</c>, or derived from the staffing).</summary>
    public double CallsPerSecond => _callsPerSecond;

    public ValueTask<IReadOnlyList<ActivityEvent>> ReadAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        Advance(until);
        var events = _events;
        _events = [];
        return ValueTask.FromResult<IReadOnlyList<ActivityEvent>>(events);
    }

    private void Advance(DateTimeOffset until)
    {
        while (_timers.TryPeek(out var timer, out var due) && due.Ticks <= until.UtcTicks)
        {
            _timers.Dequeue();
            _now = new DateTimeOffset(due.Ticks, TimeSpan.Zero);
            Fire(timer);
        }
        if (until > _now)
        {
            _now = until;
        }
    }

    private void Fire(Timer timer)
    {
        if (timer.Kind == TimerKind.Arrival)
        {
            _arrivalDue = false;
            ScheduleArrival();
            Arrive();
            return;
        }
        if (timer.Kind == TimerKind.Abandon)
        {
            if (_waitingCalls.Remove(timer.Id, out var group))
            {
                _groups[group].Waiting.Remove(timer.Id);
                Emit(new CallAbandoned(_now, timer.Id));
            }
            return;
        }
        if (!_agents.TryGetValue(timer.Id, out var agent))
        {
            return;
        }
        switch (timer.Kind)
        {
            case TimerKind.LogIn when agent.State == AgentStates.LoggedOut:
                LogIn(timer.Id, agent);
                break;
            case TimerKind.TalkEnd when agent.CallId is { } call:
                Emit(new CallCompleted(_now, call));
                agent.CallId = null;
                SetState(timer.Id, agent, AgentStates.WrapUp, 0, agent.SkillGroupId);
                Schedule(Between(WrapUp), TimerKind.WrapUpEnd, timer.Id);
                break;
            case TimerKind.WrapUpEnd when agent.State == AgentStates.WrapUp && agent.BreakDue:
                TakeBreak(timer.Id, agent);
                break;
            case TimerKind.WrapUpEnd when agent.State == AgentStates.WrapUp:
                BecomeReady(timer.Id, agent);
                break;
            case TimerKind.BreakDue when agent.State == AgentStates.Ready:
                TakeBreak(timer.Id, agent);
                break;
            case TimerKind.BreakDue:
                agent.BreakDue = true;
                break;
            case TimerKind.BreakEnd when agent.State == AgentStates.NotReady:
                Schedule(Between(BetweenBreaks), TimerKind.BreakDue, timer.Id);
                BecomeReady(timer.Id, agent);
                break;
        }
    }

    private void Arrive()
    {
        if (_callTypes.Length == 0 || _routableGroups.Length == 0)
        {
            return;
        }
        var callId = ++_lastCallId;
        var callType = _callTypes[_random.Next(_callTypes.Length)];
        var groupId = _routableGroups[Weighted(_groupWeights)];
        var patience = Between(Patience);
        Emit(new CallOffered(_now, callId, callType, groupId));
        var group = _groups[groupId];
        if (group.Ready.Count > 0)
        {
            var (_, agentId) = group.Ready.Min;
            Answer(callId, groupId, agentId, _agents[agentId]);
            return;
        }
        group.Waiting.Add(callId);
        _waitingCalls[callId] = groupId;
        Schedule(patience, TimerKind.Abandon, callId);
    }

    /// <summary>
    /// An agent logs in as if the center had been running: on a call begun before (no offer is emitted for it, so it
    /// counts in no window; its completion is ignored by the engine), on a break, or ready, in the proportions of the
    /// load. A center that starts up then shows its steady state at once instead of every agent ready.
    /// </summary>
    private void LogIn(long agentId, SimAgent agent)
    {
        var draw = _random.NextDouble();
        // the first break comes at any time up to the longest gap, so that breaks do not come in waves after the start
        var firstBreak = Between((TimeSpan.Zero, BetweenBreaks.Max));
        if (draw < _busyAtLogIn && agent.Groups.Length > 0)
        {
            Schedule(firstBreak, TimerKind.BreakDue, agentId);
            agent.CallId = ++_lastCallId;
            SetState(agentId, agent, AgentStates.Talking, 0, agent.Groups[_random.Next(agent.Groups.Length)]);
            Schedule(Between((TimeSpan.Zero, Mean(Talk))), TimerKind.TalkEnd, agentId);
            return;
        }
        if (draw < _busyAtLogIn + (1 - Working))
        {
            TakeBreak(agentId, agent);
            return;
        }
        Schedule(firstBreak, TimerKind.BreakDue, agentId);
        BecomeReady(agentId, agent);
    }

    /// <summary>A ready agent takes the oldest call waiting in any of its groups, or waits in each group's ready set.</summary>
    private void BecomeReady(long agentId, SimAgent agent)
    {
        agent.BreakDue = false;
        var oldest = agent.Groups.Where(g => _groups[g].Waiting.Count > 0).Select(g => (Call: _groups[g].Waiting.Min, Group: g)).DefaultIfEmpty().Min();
        if (oldest.Call != 0)
        {
            _groups[oldest.Group].Waiting.Remove(oldest.Call);
            _waitingCalls.Remove(oldest.Call);
            Answer(oldest.Call, oldest.Group, agentId, agent);
            return;
        }
        SetState(agentId, agent, AgentStates.Ready, 0, null);
    }

    private void Answer(long callId, long groupId, long agentId, SimAgent agent)
    {
        Emit(new CallAnswered(_now, callId, agentId));
        agent.CallId = callId;
        SetState(agentId, agent, AgentStates.Talking, 0, groupId);
        Schedule(Between(Talk), TimerKind.TalkEnd, agentId);
    }

    private void TakeBreak(long agentId, SimAgent agent)
    {
        agent.BreakDue = false;
        SetState(agentId, agent, AgentStates.NotReady, 1 + _random.Next(ReasonCodes), null);
        Schedule(Between(Break), TimerKind.BreakEnd, agentId);
    }

    private void SetState(long agentId, SimAgent agent, string state, int reasonCode, long? skillGroupId)
    {
        LeaveReady(agentId, agent);
        (agent.State, agent.SkillGroupId) = (state, skillGroupId);
        if (state == AgentStates.Ready)
        {
            agent.ReadyStamp = ++_readyStamp;
            JoinReady(agentId, agent);
        }
        Emit(new AgentStateChanged(_now, agentId, state, reasonCode, skillGroupId));
    }

    private void JoinReady(long agentId, SimAgent agent)
    {
        if (agent.State != AgentStates.Ready)
        {
            return;
        }
        foreach (var group in agent.Groups)
        {
            _groups[group].Ready.Add((agent.ReadyStamp, agentId));
        }
    }

    private void LeaveReady(long agentId, SimAgent agent)
    {
        if (agent.State != AgentStates.Ready)
        {
            return;
        }
        foreach (var group in agent.Groups)
        {
            if (_groups.TryGetValue(group, out var g))
            {
                g.Ready.Remove((agent.ReadyStamp, agentId));
            }
        }
    }

    private void ScheduleArrival()
    {
        var rate = options.CallsPerSecond > 0 ? _callsPerSecond : _callsPerSecond * (1 + (Swing * Math.Sin(2 * Math.PI * ((_now - _start) / Cycle))));
        if (rate > 0)
        {
            _arrivalDue = true;
            Schedule(TimeSpan.FromSeconds(-Math.Log(1 - _random.NextDouble()) / rate), TimerKind.Arrival, 0);
        }
    }

    /// <summary>An index drawn with probability proportional to its weight.</summary>
    private int Weighted(double[] weights)
    {
        var draw = _random.NextDouble() * weights.Sum();
        var index = 0;
        while (index < weights.Length - 1 && draw >= weights[index])
        {
            draw -= weights[index++];
        }
        return index;
    }

    private TimeSpan Between((TimeSpan Min, TimeSpan Max) range) => range.Min + ((range.Max - range.Min) * _random.NextDouble());

    private static TimeSpan Mean((TimeSpan Min, TimeSpan Max) range) => (range.Min + range.Max) / 2;

    private void Schedule(TimeSpan after, TimerKind kind, long id) => _timers.Enqueue(new Timer(kind, id), ((_now + after).UtcTicks, ++_order));

    private void Emit(ActivityEvent activity) => _events.Add(activity);

    private enum TimerKind { Arrival, LogIn, Abandon, TalkEnd, WrapUpEnd, BreakDue, BreakEnd }

    private readonly record struct Timer(TimerKind Kind, long Id);

    private sealed class SimAgent
    {
        public long[] Groups { get; set; } = [];

        public string State { get; set; } = AgentStates.LoggedOut;

        public long ReadyStamp { get; set; }

        public long? SkillGroupId { get; set; }

        public long? CallId { get; set; }

        public bool BreakDue { get; set; }
    }

    private sealed class SimGroup
    {
        /// <summary>Ready agents, longest available first.</summary>
        public SortedSet<(long ReadyStamp, long AgentId)> Ready { get; } = [];

        /// <summary>Waiting calls, oldest (lowest id) first.</summary>
        public SortedSet<long> Waiting { get; } = [];
    }
}
