namespace RealTimeDistributor.Data.Configuration;

/// <summary>A peripheral (ACD, VRU) the agents and skill groups belong to.</summary>
public sealed class Peripheral : ConfigRow
{
    public string Name { get; set; } = "";

    public string Kind { get; set; } = "acd";

    /// <summary>
    /// IANA (or Windows) id of the time zone the peripheral's half hours and days follow (ICM: the peripheral's time
    /// zone); empty: the central controller's.
    /// </summary>
    public string TimeZone { get; set; } = "";
}

/// <summary>
/// A skill group, with the wallboard's thresholds for it: each 0 means the site's default (the client's
/// <c>Client:Wallboard</c> settings) or, for the queue and the longest wait, no colour.
/// </summary>
public sealed class SkillGroup : ConfigRow
{
    public string Name { get; set; } = "";

    public long PeripheralId { get; set; }

    /// <summary>Service level (%) at or above which the group's SL is green; 0: <c>Client:Wallboard:ServiceLevelGreen</c>.</summary>
    public int ServiceLevelGreen { get; set; }

    /// <summary>Service level (%) at or above which it is amber (below: red); 0: <c>Client:Wallboard:ServiceLevelAmber</c>.</summary>
    public int ServiceLevelAmber { get; set; }

    /// <summary>Calls in queue from which the tile's queue is amber; 0: never.</summary>
    public int QueueAmber { get; set; }

    /// <summary>Calls in queue from which it is red; 0: never.</summary>
    public int QueueRed { get; set; }

    /// <summary>Longest wait (seconds) from which it is amber; 0: never.</summary>
    public int LongestWaitAmberSeconds { get; set; }

    /// <summary>Longest wait (seconds) from which it is red; 0: never.</summary>
    public int LongestWaitRedSeconds { get; set; }

    /// <summary>Not ready (seconds) from which a member agent's time in state is amber; 0: <c>Client:Wallboard:TimeInState:NotReady:Amber</c>.</summary>
    public int NotReadyAmberSeconds { get; set; }

    /// <summary>Not ready (seconds) from which it is red; 0: <c>Client:Wallboard:TimeInState:NotReady:Red</c>.</summary>
    public int NotReadyRedSeconds { get; set; }
}

public sealed class Agent : ConfigRow
{
    public string Name { get; set; } = "";

    public long PeripheralId { get; set; }
}

/// <summary>An agent's membership of a skill group.</summary>
public sealed class SkillGroupMember : ConfigRow
{
    public long AgentId { get; set; }

    public long SkillGroupId { get; set; }
}

public sealed class CallType : ConfigRow
{
    public string Name { get; set; } = "";

    public int ServiceLevelSeconds { get; set; } = 20;
}

public sealed class Service : ConfigRow
{
    public string Name { get; set; } = "";

    public long PeripheralId { get; set; }
}

/// <summary>A routing script; every save is a new <see cref="Revision"/> of its text.</summary>
public sealed class RoutingScript : ConfigRow
{
    public string Name { get; set; } = "";

    public int Revision { get; set; }

    public string Body { get; set; } = "";
}

/// <summary>
/// The text of a reason code on one peripheral (ICM <c>Reason_Code</c>: ReasonCode, ReasonText): what an agent's
/// not-ready <c>reasonCode</c> means ("Lunch" for 2). Unique per peripheral and code.
/// </summary>
public sealed class ReasonCode : ConfigRow
{
    public long PeripheralId { get; set; }

    public int Code { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>A team of agents on one peripheral (ICM <c>Agent_Team</c>); its members and supervisors are rows of their own.</summary>
public sealed class Team : ConfigRow
{
    public string Name { get; set; } = "";

    public long PeripheralId { get; set; }
}

/// <summary>An agent's membership of a team (ICM <c>Agent_Team_Member</c>): an agent is in one team at most.</summary>
public sealed class TeamMember : ConfigRow
{
    public long TeamId { get; set; }

    public long AgentId { get; set; }
}

/// <summary>A supervisor of a team (ICM <c>Agent_Team_Supervisor</c>): an agent; a team may have several, an agent may supervise several.</summary>
public sealed class TeamSupervisor : ConfigRow
{
    public long TeamId { get; set; }

    public long AgentId { get; set; }
}
