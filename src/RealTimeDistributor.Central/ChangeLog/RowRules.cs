using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>Checks a row can be stored before any database work: names present and bounded, enums known, scripts bounded.</summary>
public static class RowRules
{
    public static readonly string[] PeripheralKinds = ["acd", "vru", "ivr"];

    /// <summary>The highest reason code (ICM's are 16-bit).</summary>
    public const int MaxReasonCode = 65535;

    public static string? Check(ConfigRow row) => row switch
    {
        Peripheral p => Name(p.Name) ?? (PeripheralKinds.Contains(p.Kind) ? null : $"kind '{p.Kind}' is not one of {string.Join(", ", PeripheralKinds)}.")
            ?? TimeZoneProblem(p.TimeZone),
        SkillGroup s => Name(s.Name) ?? Thresholds(s),
        Agent a => Name(a.Name),
        SkillGroupMember => null,
        CallType c => Name(c.Name) ?? (c.ServiceLevelSeconds is >= 1 and <= 3600 ? null : "serviceLevelSeconds must be from 1 to 3600."),
        Service s => Name(s.Name),
        RoutingScript r => Name(r.Name) ?? (r.Body.Length <= ConfigWriter.MaxScriptLength ? null : $"body is longer than {ConfigWriter.MaxScriptLength} characters."),
        ReasonCode r => (r.Code is >= 1 and <= MaxReasonCode ? null : $"code must be from 1 to {MaxReasonCode} (0 is no reason).") ?? Text(r.Text),
        Team t => Name(t.Name),
        TeamMember or TeamSupervisor => null,
        _ => $"{row.GetType().Name} rows cannot be edited.",
    };

    /// <summary>A skill group's wallboard thresholds: none negative, percentages at most 100, amber before red (when both are set).</summary>
    private static string? Thresholds(SkillGroup s) =>
        Pair("serviceLevelAmber", s.ServiceLevelAmber, "serviceLevelGreen", s.ServiceLevelGreen, 100)
        ?? Pair("queueAmber", s.QueueAmber, "queueRed", s.QueueRed, int.MaxValue)
        ?? Pair("longestWaitAmberSeconds", s.LongestWaitAmberSeconds, "longestWaitRedSeconds", s.LongestWaitRedSeconds, MaxThresholdSeconds)
        ?? Pair("notReadyAmberSeconds", s.NotReadyAmberSeconds, "notReadyRedSeconds", s.NotReadyRedSeconds, MaxThresholdSeconds);

    /// <summary>The longest time threshold a skill group may set (a day, in seconds).</summary>
    public const int MaxThresholdSeconds = 86400;

    /// <summary>Both from 0 (the default) to <paramref name="max"/>; when both are set, <paramref name="lower"/> at most <paramref name="upper"/>.</summary>
    private static string? Pair(string lowerName, int lower, string upperName, int upper, int max) =>
        lower is < 0 || lower > max ? $"{lowerName} must be from 0 (the default) to {max}."
        : upper is < 0 || upper > max ? $"{upperName} must be from 0 (the default) to {max}."
        : lower > 0 && upper > 0 && lower > upper ? $"{lowerName} ({lower}) must be at most {upperName} ({upper})."
        : null;

    /// <summary>Empty (the center's zone) or a time zone id this machine knows (IANA, such as Europe/Paris).</summary>
    private static string? TimeZoneProblem(string? zone) =>
        string.IsNullOrEmpty(zone) || TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _) ? null
        : $"timeZone '{zone}' is not a known time zone id (use an IANA id such as Europe/Paris, or leave it empty for the center's).";

    private static string? Text(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "text is required."
        : text.Length > ConfigWriter.MaxNameLength ? $"text is longer than {ConfigWriter.MaxNameLength} characters."
        : null;

    private static string? Name(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "name is required."
        : name.Length > ConfigWriter.MaxNameLength ? $"name is longer than {ConfigWriter.MaxNameLength} characters."
        : null;
}
