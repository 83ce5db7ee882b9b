using System.Text.Json;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>The value of one real-time row: compared with the last published value to decide whether the row changed, and written as its JSON columns.</summary>
public interface IRealTimeColumns
{
    void WriteTo(Utf8JsonWriter writer);
}

/// <summary>
/// agent: ICM Agent_Real_Time. Time in state is not a column: it grows every second, so it would change every agent
/// row every interval; readers compute it as now - <see cref="StateSince"/> (ICM's DateTimeLastStateChange).
/// <see cref="Half"/> and <see cref="Today"/>: the calls this agent answered and handled in the half hour and the day of its
/// peripheral (real-time columns version 3; no To5, which would change every row five minutes after each call again).
/// </summary>
public readonly record struct AgentColumns(string State, int ReasonCode, DateTimeOffset StateSince, long? SkillGroupId,
    string PeripheralStatus = PeripheralStatuses.Online, Tally Half = default, Tally Today = default) : IRealTimeColumns
{
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteString("state", State);
        writer.WriteNumber("reasonCode", ReasonCode);
        writer.WriteString("stateSince", StateSince);
        JsonColumns.Write(writer, "skillGroupId", SkillGroupId);
        writer.WriteString("peripheralStatus", PeripheralStatus);
        foreach (var (window, tally) in new[] { ("Half", Half), ("Today", Today) })
        {
            writer.WriteNumber("callsAnswered" + window, tally.Answered);
            writer.WriteNumber("callsHandled" + window, tally.Handled);
            JsonColumns.Write(writer, "averageHandleTime" + window, tally.AverageHandleTime);
        }
    }
}

/// <summary>Nullable columns are written as JSON null, so every row of a table has the same columns.</summary>
internal static class JsonColumns
{
    public static void Write(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public static void Write(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    public static void Write(Utf8JsonWriter writer, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            writer.WriteString(name, v);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}

/// <summary>How many of a skill group's member agents are in each state now.</summary>
public readonly record struct AgentCounts(int LoggedOn, int Ready, int Talking, int WrapUp, int NotReady);

/// <summary>
/// calltype (ICM Call_Type_Real_Time), and a service's and skill group's calls: the queue now, the longest available
/// agent now (skill groups and services only: <see cref="NoAgents"/> leaves the column out) and the three windows.
/// </summary>
public readonly record struct CallColumns(int CallsQueuedNow, DateTimeOffset? LongestInQueueSince, Tally To5, Tally Half, Tally Today,
    ServiceLevelAbandons Treatment = ServiceLevelAbandons.Negative, DateTimeOffset? LongestAvailableSince = null) : IRealTimeColumns
{
    /// <summary>A call type has no agents: its rows have no longestAvailableSince column.</summary>
    public static readonly DateTimeOffset NoAgents = DateTimeOffset.MinValue;

    private static readonly string[][] Names = [.. new[] { "To5", "Half", "Today" }.Select(w => new[]
    {
        "callsOffered" + w, "callsAnswered" + w, "callsHandled" + w, "callsAbandoned" + w, "averageSpeedOfAnswer" + w, "serviceLevel" + w,
        "shortAbandoned" + w, "serviceLevelCallsOffered" + w, "serviceLevelCalls" + w, "serviceLevelAbandoned" + w, "abandonRate" + w,
        "averageHandleTime" + w,
    })];

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteNumber("callsQueuedNow", CallsQueuedNow);
        JsonColumns.Write(writer, "longestInQueueSince", LongestInQueueSince);
        // how serviceLevel{W} treats abandons within the threshold (ICM ServiceLevelType): a reader summing rows uses the same
        writer.WriteNumber("serviceLevelType", (int)Treatment);
        if (LongestAvailableSince != NoAgents)
        {
            JsonColumns.Write(writer, "longestAvailableSince", LongestAvailableSince);
        }
        Tally[] tallies = [To5, Half, Today];
        for (var i = 0; i < Names.Length; i++)
        {
            var (names, tally) = (Names[i], tallies[i]);
            writer.WriteNumber(names[0], tally.Offered);
            writer.WriteNumber(names[1], tally.Answered);
            writer.WriteNumber(names[2], tally.Handled);
            writer.WriteNumber(names[3], tally.Abandoned);
            JsonColumns.Write(writer, names[4], tally.AverageSpeedOfAnswer);
            JsonColumns.Write(writer, names[5], tally.ServiceLevel(Treatment));
            writer.WriteNumber(names[6], tally.ShortAbandoned);
            writer.WriteNumber(names[7], tally.ServiceLevelOffered);
            writer.WriteNumber(names[8], tally.AnsweredInServiceLevel);
            writer.WriteNumber(names[9], tally.AbandonedInServiceLevel);
            JsonColumns.Write(writer, names[10], tally.AbandonRate);
            JsonColumns.Write(writer, names[11], tally.AverageHandleTime);
        }
    }
}

/// <summary>service (ICM Service_Real_Time): its peripheral's status, then the call columns of a call type.</summary>
public readonly record struct ServiceColumns(CallColumns Calls, string PeripheralStatus = PeripheralStatuses.Online) : IRealTimeColumns
{
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteString("peripheralStatus", PeripheralStatus);
        Calls.WriteTo(writer);
    }
}

/// <summary>skillgroup (ICM Skill_Group_Real_Time): agents by state now, then the same call columns as a call type.</summary>
public readonly record struct SkillGroupColumns(AgentCounts Agents, CallColumns Calls, string PeripheralStatus = PeripheralStatuses.Online) : IRealTimeColumns
{
    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteString("peripheralStatus", PeripheralStatus);
        writer.WriteNumber("agentsLoggedOn", Agents.LoggedOn);
        writer.WriteNumber("agentsReady", Agents.Ready);
        writer.WriteNumber("agentsTalking", Agents.Talking);
        writer.WriteNumber("agentsWrapUp", Agents.WrapUp);
        writer.WriteNumber("agentsNotReady", Agents.NotReady);
        Calls.WriteTo(writer);
    }
}
