namespace RealTimeDistributor.Contracts;

/// <summary>
/// One thing that happened at a peripheral (an ACD), as its peripheral gateway reports it to the central controller on
/// the activity exchange (routing key "peripheral.{peripheralId}"), one event a message, plain JSON (docs/wire-format.md).
/// <paramref name="Session"/> names one run of the gateway; within a session <paramref name="Sequence"/> counts 1, 2, 3, ...
/// with no gap. <paramref name="At"/> is the peripheral's own time of the event. The other fields are those its
/// <paramref name="Type"/> needs (<see cref="PeripheralEventTypes"/>).
/// </summary>
public sealed record PeripheralEvent(
    long PeripheralId,
    string Session,
    long Sequence,
    string Type,
    DateTimeOffset At,
    long? AgentId = null,
    string? State = null,
    int? ReasonCode = null,
    long? SkillGroupId = null,
    long? CallId = null,
    long? CallTypeId = null,
    IReadOnlyList<PeripheralAgentState>? Agents = null,
    IReadOnlyList<PeripheralCall>? Calls = null);

/// <summary>The kinds of <see cref="PeripheralEvent"/> and the fields each needs.</summary>
public static class PeripheralEventTypes
{
    /// <summary>agentId, state (logged-out, not-ready, ready, talking, wrap-up), reasonCode, skillGroupId (or null).</summary>
    public const string AgentState = "agent-state";

    /// <summary>callId (the peripheral's own), callTypeId, skillGroupId (where it queues).</summary>
    public const string CallOffered = "call-offered";

    /// <summary>callId, agentId.</summary>
    public const string CallAnswered = "call-answered";

    /// <summary>callId.</summary>
    public const string CallAbandoned = "call-abandoned";

    /// <summary>callId.</summary>
    public const string CallCompleted = "call-completed";

    /// <summary>Nothing else: the gateway is alive (sent when it had nothing else to say for a while).</summary>
    public const string Heartbeat = "heartbeat";

    /// <summary>
    /// agents (every agent of the peripheral that is logged on) and calls (every call in progress): the whole state, sent
    /// first in a session and whenever the center asks (<see cref="PeripheralResyncRequested"/>).
    /// </summary>
    public const string Resync = "resync";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        AgentState, CallOffered, CallAnswered, CallAbandoned, CallCompleted, Heartbeat, Resync,
    };
}

/// <summary>An agent's state in a resync.</summary>
public sealed record PeripheralAgentState(long AgentId, string State, int ReasonCode, long? SkillGroupId, DateTimeOffset Since);

/// <summary>A call in progress in a resync: queued (no answeredAt) or talking.</summary>
public sealed record PeripheralCall(long CallId, long CallTypeId, long SkillGroupId, DateTimeOffset OfferedAt, DateTimeOffset? AnsweredAt);

/// <summary>
/// The center asks a peripheral's gateway for a <see cref="PeripheralEventTypes.Resync"/> (on the gateway control exchange,
/// routing key "peripheral.{peripheralId}"): it saw a gap, a new session that did not start with a resync, or it restarted.
/// </summary>
public sealed record PeripheralResyncRequested(long PeripheralId, string Reason, DateTimeOffset At);
