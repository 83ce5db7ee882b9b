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

public sealed class SkillGroup : ConfigRow
{
    public string Name { get; set; } = "";

    public long PeripheralId { get; set; }
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
