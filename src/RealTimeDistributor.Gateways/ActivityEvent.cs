namespace RealTimeDistributor.Gateways;

/// <summary>
/// Something that happened at a peripheral, as the router hears it. The statistics engine turns these into real-time
/// rows; an <see cref="IActivitySource"/> produces them, in time order.
/// </summary>
/// <param name="At">Central time at which it happened.</param>
public abstract record ActivityEvent(DateTimeOffset At);

/// <summary>An agent entered <paramref name="State"/> (see <see cref="AgentStates"/>); <paramref name="SkillGroupId"/> is the group it now works for, if any.</summary>
public sealed record AgentStateChanged(DateTimeOffset At, long AgentId, string State, int ReasonCode, long? SkillGroupId) : ActivityEvent(At);

/// <summary>A call of a call type arrived and queues for a skill group until it is answered or abandoned.</summary>
public sealed record CallOffered(DateTimeOffset At, long CallId, long CallTypeId, long SkillGroupId) : ActivityEvent(At);

/// <summary>An agent answered a queued call.</summary>
public sealed record CallAnswered(DateTimeOffset At, long CallId, long AgentId) : ActivityEvent(At);

/// <summary>The caller hung up before an agent answered.</summary>
public sealed record CallAbandoned(DateTimeOffset At, long CallId) : ActivityEvent(At);

/// <summary>An answered call ended: it counts as handled.</summary>
public sealed record CallCompleted(DateTimeOffset At, long CallId) : ActivityEvent(At);

/// <summary>A peripheral went offline (silent), became uncertain (events lost, resync asked) or is online again: its agents' and skill groups' rows say so.</summary>
public sealed record PeripheralStatusChanged(DateTimeOffset At, long PeripheralId, string Status) : ActivityEvent(At);

/// <summary>A call in progress as a resync reports it, under the center's own call id.</summary>
public sealed record ResyncedCall(long CallId, long CallTypeId, long SkillGroupId, DateTimeOffset OfferedAt, DateTimeOffset? AnsweredAt);

/// <summary>
/// A peripheral's whole state: its agents take <paramref name="Agents"/>' states (the others of the peripheral log out),
/// the calls <paramref name="Forget"/> are dropped and <paramref name="Calls"/> are in progress, none counted again in a window.
/// </summary>
public sealed record PeripheralResynced(DateTimeOffset At, long PeripheralId, IReadOnlyList<AgentStateChanged> Agents, IReadOnlyList<ResyncedCall> Calls,
    IReadOnlyList<long> Forget) : ActivityEvent(At);

/// <summary>What a peripheral's rows say about the peripheral (column peripheralStatus of agent and skillgroup rows).</summary>
public static class PeripheralStatuses
{
    public const string Online = "online";

    /// <summary>Events were lost (a gap, a restart); the center asked for a resync and the values may be wrong until it comes.</summary>
    public const string Uncertain = "uncertain";

    /// <summary>Nothing heard within RealTime:PeripheralTimeout: the values are the last known ones.</summary>
    public const string Offline = "offline";
}

/// <summary>The agent states the engine counts (ICM: logged out, not ready, ready/available, talking, work/wrap-up).</summary>
public static class AgentStates
{
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { LoggedOut, NotReady, Ready, Talking, WrapUp };

    public const string LoggedOut = "logged-out";
    public const string NotReady = "not-ready";
    public const string Ready = "ready";
    public const string Talking = "talking";
    public const string WrapUp = "wrap-up";
}
