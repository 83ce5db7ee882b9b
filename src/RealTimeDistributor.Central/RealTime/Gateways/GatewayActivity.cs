using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>What became of one peripheral event.</summary>
public enum IntakeOutcome { Applied, Duplicate, Refused }

/// <summary>The outcome, the reason of a refusal, and the reason to ask the peripheral for a resync (if any).</summary>
public readonly record struct IntakeResult(IntakeOutcome Outcome, string? Reason = null, string? ResyncReason = null)
{
    public static IntakeResult Refuse(string reason) => new(IntakeOutcome.Refused, reason);
}

/// <summary>
/// The activity source fed by peripheral gateways (<see cref="ActivityConsumer"/> over the broker, the HTTP ingest): checks
/// every <see cref="PeripheralEvent"/> against the configuration, puts each peripheral's events in its sequence order,
/// drops duplicates, notices a gap or a new session (the peripheral's rows turn uncertain until its resync arrives), and
/// turns what it accepts into <see cref="ActivityEvent"/>s the feed reads every interval. A peripheral heard from within
/// <see cref="ActivityOptions.PeripheralTimeout"/> is online; a silent one is flagged offline until its next event.
/// The peripheral's call ids become the center's own (two ACDs may use the same ids). Thread-safe (one lock).
/// </summary>
public sealed class GatewayActivity(ActivityOptions options, TimeProvider clock) : IActivitySource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Peripheral> _peripherals = [];
    private readonly TaskCompletionSource _configured = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<ActivityEvent> _pending = [];
    private StatisticsConfiguration _configuration = StatisticsConfiguration.Empty;
    private HashSet<long> _callTypes = [];
    private HashSet<long> _knownPeripherals = [];
    private Dictionary<long, long> _peripheralOfGroup = [];
    private long _lastCallId;

    /// <summary>Completes once the first configuration is in: events before it could not be checked.</summary>
    public Task Configured => _configured.Task;

    public void Configure(StatisticsConfiguration configuration, DateTimeOffset now)
    {
        lock (_gate)
        {
            _configuration = configuration;
            _callTypes = configuration.CallTypes.Select(c => c.Id).ToHashSet();
            _knownPeripherals = configuration.Peripherals();
            _peripheralOfGroup = configuration.SkillGroups.ToDictionary(g => g.Id, g => g.PeripheralId);
        }
        _configured.TrySetResult();
    }

    /// <summary>The accepted activity since the previous call, and a peripheral that fell silent flagged offline.</summary>
    public ValueTask<IReadOnlyList<ActivityEvent>> ReadAsync(DateTimeOffset until, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            foreach (var (id, peripheral) in _peripherals)
            {
                if (peripheral.Status != PeripheralStatuses.Offline && until - peripheral.HeardAt > options.PeripheralTimeout)
                {
                    SetStatus(id, peripheral, PeripheralStatuses.Offline, until);
                }
            }
            var events = _pending;
            _pending = [];
            return ValueTask.FromResult<IReadOnlyList<ActivityEvent>>(events);
        }
    }

    /// <summary>
    /// A new term as the active center (<see cref="StatisticsCheckpoints"/>): what this process knew of the peripherals is
    /// forgotten and every configured peripheral owes a resync (uncertain until it comes; asked at the next reminder).
    /// </summary>
    public void Reset(DateTimeOffset now)
    {
        lock (_gate)
        {
            _peripherals.Clear();
            _pending = [];
            foreach (var id in _knownPeripherals)
            {
                var peripheral = new Peripheral { HeardAt = now, AwaitingResync = true, ResyncAskedAt = DateTimeOffset.MinValue };
                _peripherals[id] = peripheral;
                SetStatus(id, peripheral, PeripheralStatuses.Uncertain, now);
            }
        }
    }

    /// <summary>The peripherals whose rows are uncertain and whose resync was last asked for before <paramref name="before"/>: ask again.</summary>
    public IReadOnlyList<long> AwaitingResync(DateTimeOffset before)
    {
        lock (_gate)
        {
            var due = _peripherals.Where(p => p.Value.AwaitingResync && p.Value.ResyncAskedAt < before).Select(p => p.Key).ToList();
            foreach (var id in due)
            {
                _peripherals[id].ResyncAskedAt = before;
            }
            return due;
        }
    }

    /// <summary>Checks and takes one event (<see cref="IntakeResult"/>); never throws for bad input.</summary>
    public IntakeResult Accept(PeripheralEvent e)
    {
        if (Shape(e) is { } bad)
        {
            return IntakeResult.Refuse(bad);
        }
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (!_knownPeripherals.Contains(e.PeripheralId))
            {
                return IntakeResult.Refuse($"unknown peripheral {e.PeripheralId}");
            }
            if (!_peripherals.TryGetValue(e.PeripheralId, out var peripheral))
            {
                peripheral = new Peripheral { HeardAt = now };
                _peripherals[e.PeripheralId] = peripheral;
            }
            string? resync = null;
            if (e.Session == peripheral.Session)
            {
                if (e.Sequence <= peripheral.Sequence)
                {
                    return new IntakeResult(IntakeOutcome.Duplicate, $"sequence {e.Sequence} already seen (last {peripheral.Sequence})");
                }
                if (e.Sequence - peripheral.Sequence > options.MaxSequenceJump)
                {
                    // refused without taking its place: the session's next genuine event is no duplicate
                    return IntakeResult.Refuse($"sequence {e.Sequence} is more than {options.MaxSequenceJump:N0} above the session's last, {peripheral.Sequence} "
                        + "(RealTime:MaxSequenceJump): a gateway whose sequence truly jumps that far starts a new session");
                }
                if (e.Sequence > peripheral.Sequence + 1 && e.Type != PeripheralEventTypes.Resync)
                {
                    resync = $"gap: sequence {e.Sequence} after {peripheral.Sequence}";
                }
            }
            else if (e.Type != PeripheralEventTypes.Resync)
            {
                resync = peripheral.Session is null ? "no state of this peripheral yet" : $"new session {e.Session} without a resync";
            }
            var previousAt = e.Session == peripheral.Session ? peripheral.EventAt : DateTimeOffset.MinValue;
            (peripheral.Session, peripheral.Sequence, peripheral.HeardAt) = (e.Session, e.Sequence, now);
            if (resync is not null)
            {
                peripheral.AwaitingResync = true;
                peripheral.ResyncAskedAt = now;
            }
            // a refused event still takes its place in the sequence: the next one is no gap
            var late = e.At > now + options.MaxFuture ? $"event time {e.At:O} is more than {options.MaxFuture} ahead of the center's clock"
                : e.At < now - options.MaxPast ? $"event time {e.At:O} is more than {options.MaxPast} behind the center's clock"
                : e.At < previousAt ? $"event time {e.At:O} is before the peripheral's previous event ({previousAt:O})"
                : null;
            if (late is not null)
            {
                Heard(e.PeripheralId, peripheral, now);
                return new IntakeResult(IntakeOutcome.Refused, late, resync);
            }
            peripheral.EventAt = e.At;
            var refusal = Apply(e, peripheral);
            Heard(e.PeripheralId, peripheral, now);
            return refusal is null ? new IntakeResult(IntakeOutcome.Applied, null, resync) : new IntakeResult(IntakeOutcome.Refused, refusal, resync);
        }
    }

    /// <summary>
    /// A batch (the HTTP ingest) all or nothing: each event is checked and taken as <see cref="Accept"/> does, in order;
    /// if any is refused, every peripheral the batch touched is put back as it was (sequence, calls, status, the activity
    /// not yet read), so the batch leaves no trace and may be sent again, corrected, with the same sequences.
    /// <c>AwaitingResync</c>: the first peripheral of the batch still waits for a resync afterwards (ask it for one).
    /// </summary>
    public (IReadOnlyList<IntakeResult> Results, bool Committed, bool AwaitingResync) AcceptAll(IReadOnlyList<PeripheralEvent> events)
    {
        lock (_gate)
        {
            var saved = events.Select(e => e.PeripheralId).Distinct().ToDictionary(id => id, id => _peripherals.GetValueOrDefault(id)?.Copy());
            var (pending, lastCallId) = (_pending.Count, _lastCallId);
            var results = events.Select(Accept).ToList();
            var committed = results.All(r => r.Outcome != IntakeOutcome.Refused);
            if (!committed)
            {
                foreach (var (id, peripheral) in saved)
                {
                    if (peripheral is null)
                    {
                        _peripherals.Remove(id);
                    }
                    else
                    {
                        _peripherals[id] = peripheral;
                    }
                }
                _pending.RemoveRange(pending, _pending.Count - pending);
                _lastCallId = lastCallId;
            }
            var awaiting = events.Count > 0 && _peripherals.TryGetValue(events[0].PeripheralId, out var first) && first.AwaitingResync;
            return (results, committed, awaiting);
        }
    }

    /// <summary>
    /// The largest sequence, 2^53 - 1: the largest whole number every JSON reader holds exactly (285 years of a million
    /// events a second); no sequence comes near <see cref="long.MaxValue"/>, where the next one would overflow.
    /// </summary>
    public const long MaxSequence = (1L << 53) - 1;

    /// <summary>What a message must have whatever the configuration (null: nothing missing).</summary>
    public static string? Shape(PeripheralEvent e) => e switch
    {
        { PeripheralId: <= 0 } => "peripheralId must be a positive number",
        { Session: null or "" } => "session is missing",
        { Session.Length: > 100 } => "session is longer than 100 characters",
        _ when TextRules.Problem(e.Session, "session") is { } text => text,
        { Sequence: <= 0 or > MaxSequence } => $"sequence must be from 1 to {MaxSequence} (2^53 - 1), not {e.Sequence}",
        _ when e.Type is null || !PeripheralEventTypes.All.Contains(e.Type) => $"unknown event type '{e.Type}'",
        _ when e.At == default => "at (the event time) is missing",
        _ => null,
    };

    /// <summary>Applies a checked event (null) or says why not; a refused event changes nothing.</summary>
    private string? Apply(PeripheralEvent e, Peripheral peripheral)
    {
        switch (e.Type)
        {
            case PeripheralEventTypes.AgentState:
                if (AgentProblem(e.PeripheralId, e.AgentId, e.State, e.ReasonCode, e.SkillGroupId) is { } agent)
                {
                    return agent;
                }
                _pending.Add(new AgentStateChanged(e.At, e.AgentId!.Value, e.State!, e.ReasonCode ?? 0, e.SkillGroupId));
                return null;
            case PeripheralEventTypes.CallOffered:
                if (CallProblem(e.PeripheralId, e.CallId, e.CallTypeId, e.SkillGroupId) is { } call)
                {
                    return call;
                }
                if (peripheral.Calls.ContainsKey(e.CallId!.Value))
                {
                    return $"call {e.CallId} is offered twice";
                }
                var id = peripheral.Calls[e.CallId.Value] = ++_lastCallId;
                _pending.Add(new CallOffered(e.At, id, e.CallTypeId!.Value, e.SkillGroupId!.Value));
                return null;
            case PeripheralEventTypes.CallAnswered:
                if ((e.CallId is null ? "callId is missing" : AgentOf(e.PeripheralId, e.AgentId)) is { } answerer)
                {
                    return answerer;
                }
                if (peripheral.Calls.TryGetValue(e.CallId!.Value, out var answered))
                {
                    _pending.Add(new CallAnswered(e.At, answered, e.AgentId!.Value));
                }
                return null;
            case PeripheralEventTypes.CallAbandoned or PeripheralEventTypes.CallCompleted:
                if (e.CallId is null)
                {
                    return "callId is missing";
                }
                // a call the center never saw offered (begun before the center listened) ends without counting anywhere
                if (peripheral.Calls.Remove(e.CallId.Value, out var ended))
                {
                    _pending.Add(e.Type == PeripheralEventTypes.CallAbandoned ? new CallAbandoned(e.At, ended) : new CallCompleted(e.At, ended));
                }
                return null;
            case PeripheralEventTypes.Resync:
                return Resync(e, peripheral);
            default:
                return null; // heartbeat
        }
    }

    /// <summary>A whole state replaces the peripheral's, or (one bad entry) nothing at all.</summary>
    private string? Resync(PeripheralEvent e, Peripheral peripheral)
    {
        foreach (var a in e.Agents ?? [])
        {
            if (AgentProblem(e.PeripheralId, a.AgentId, a.State, a.ReasonCode, a.SkillGroupId) is { } agent)
            {
                return "resync: " + agent;
            }
        }
        foreach (var c in e.Calls ?? [])
        {
            if (CallProblem(e.PeripheralId, c.CallId, c.CallTypeId, c.SkillGroupId) is { } call)
            {
                return "resync: " + call;
            }
        }
        if ((e.Calls ?? []).GroupBy(c => c.CallId).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            return $"resync: call {twice.Key} is listed twice";
        }
        var forget = peripheral.Calls.Values.ToList();
        peripheral.Calls.Clear();
        var calls = new List<ResyncedCall>();
        foreach (var c in e.Calls ?? [])
        {
            var id = peripheral.Calls[c.CallId] = ++_lastCallId;
            calls.Add(new ResyncedCall(id, c.CallTypeId, c.SkillGroupId, c.OfferedAt, c.AnsweredAt));
        }
        _pending.Add(new PeripheralResynced(e.At, e.PeripheralId,
            [.. (e.Agents ?? []).Select(a => new AgentStateChanged(a.Since, a.AgentId, a.State, a.ReasonCode, a.SkillGroupId))], calls, forget));
        peripheral.AwaitingResync = false;
        return null;
    }

    private string? AgentProblem(long peripheralId, long? agentId, string? state, int? reasonCode, long? skillGroupId) =>
        AgentOf(peripheralId, agentId)
        ?? (state is null || !AgentStates.All.Contains(state) ? $"unknown agent state '{state}'"
            : reasonCode is < 0 or > 65535 ? $"reason code {reasonCode} is out of range (0-65535)"
            : skillGroupId is { } g && GroupOf(peripheralId, g) is { } group ? group
            : null);

    private string? AgentOf(long peripheralId, long? agentId) =>
        agentId is not { } id ? "agentId is missing"
        : _configuration.PeripheralOf(id) is not { } p ? $"unknown agent {id}"
        : p != peripheralId ? $"agent {id} belongs to peripheral {p}, not {peripheralId}"
        : null;

    private string? GroupOf(long peripheralId, long skillGroupId) =>
        !_peripheralOfGroup.TryGetValue(skillGroupId, out var p) ? $"unknown skill group {skillGroupId}"
        : p != peripheralId ? $"skill group {skillGroupId} belongs to peripheral {p}, not {peripheralId}"
        : null;

    private string? CallProblem(long peripheralId, long? callId, long? callTypeId, long? skillGroupId) =>
        callId is not > 0 ? "callId must be a positive number"
        : callTypeId is not { } type || !_callTypes.Contains(type) ? $"unknown call type {callTypeId}"
        : skillGroupId is not { } group ? "skillGroupId is missing"
        : GroupOf(peripheralId, group);

    /// <summary>The peripheral was heard from: online, or uncertain while its resync is awaited.</summary>
    private void Heard(long id, Peripheral peripheral, DateTimeOffset now) =>
        SetStatus(id, peripheral, peripheral.AwaitingResync ? PeripheralStatuses.Uncertain : PeripheralStatuses.Online, now);

    private void SetStatus(long id, Peripheral peripheral, string status, DateTimeOffset now)
    {
        if (peripheral.Status != status)
        {
            peripheral.Status = status;
            _pending.Add(new PeripheralStatusChanged(now, id, status));
        }
    }

    private sealed record Peripheral
    {
        public string? Session { get; set; }

        public long Sequence { get; set; }

        /// <summary>The peripheral's time of its last applied event: a later event may not be earlier.</summary>
        public DateTimeOffset EventAt { get; set; } = DateTimeOffset.MinValue;

        /// <summary>Center time of the last event (of any kind) from it.</summary>
        public DateTimeOffset HeardAt { get; set; }

        public string Status { get; set; } = PeripheralStatuses.Online;

        public bool AwaitingResync { get; set; }

        public DateTimeOffset ResyncAskedAt { get; set; }

        /// <summary>The peripheral's call ids in progress and the center's id of each.</summary>
        public Dictionary<long, long> Calls { get; private init; } = [];

        /// <summary>A copy to put back if a batch is refused (the calls copied: the batch may change them).</summary>
        public Peripheral Copy() => this with { Calls = new Dictionary<long, long>(Calls) };
    }
}
