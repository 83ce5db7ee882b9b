namespace RealTimeDistributor.Central.RealTime;

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

/// <summary>The agent states the engine counts (ICM: logged out, not ready, ready/available, talking, work/wrap-up).</summary>
public static class AgentStates
{
    public const string LoggedOut = "logged-out";
    public const string NotReady = "not-ready";
    public const string Ready = "ready";
    public const string Talking = "talking";
    public const string WrapUp = "wrap-up";
}
