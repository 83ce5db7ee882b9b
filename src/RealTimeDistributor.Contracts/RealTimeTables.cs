namespace RealTimeDistributor.Contracts;

/// <summary>The real-time tables the central controller publishes (the first word of their routing keys).</summary>
public static class RealTimeTables
{
    public const string Agent = "agent";
    public const string SkillGroup = "skillgroup";
    public const string CallType = "calltype";
    public const string Service = "service";

    public static readonly IReadOnlyList<string> All = [Agent, SkillGroup, CallType, Service];

    public static bool IsKnown(string? table) => table is not null && All.Contains(table);
}
