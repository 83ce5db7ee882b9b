namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// Call counts of one window, each counted at the time of its own event (docs/statistics.md, "Measures"). The ICM
/// field each one corresponds to is named on it.
/// </summary>
public readonly record struct Tally
{
    /// <summary>CallsOffered: every call offered, short abandons included.</summary>
    public long Offered { get; init; }

    /// <summary>CallsAnswered.</summary>
    public long Answered { get; init; }

    /// <summary>CallsHandled: answered calls whose wrap-up ended (or that ended without one).</summary>
    public long Handled { get; init; }

    /// <summary>TotalCallsAband: abandoned in the queue, short abandons excluded.</summary>
    public long Abandoned { get; init; }

    /// <summary>ShortCalls: abandoned within the short-abandon threshold (RealTime:ShortAbandon).</summary>
    public long ShortAbandoned { get; init; }

    /// <summary>ServiceLevelCallsOffered: calls that reached a service-level outcome (answered, abandoned, or still waiting at the threshold); short abandons excluded.</summary>
    public long ServiceLevelOffered { get; init; }

    /// <summary>ServiceLevelCalls: answered within the call type's threshold.</summary>
    public long AnsweredInServiceLevel { get; init; }

    /// <summary>ServiceLevelAband: abandoned (not short) within the threshold.</summary>
    public long AbandonedInServiceLevel { get; init; }

    /// <summary>AnswerWaitTime: seconds from offer to answer, summed over the calls answered.</summary>
    public double AnswerWaitSeconds { get; init; }

    /// <summary>HandledCallsTime: talk + hold + wrap-up seconds, summed over the calls handled.</summary>
    public double HandleSeconds { get; init; }

    /// <summary>AvgSpeedAnswer: seconds (one decimal), or null before the first answer.</summary>
    public double? AverageSpeedOfAnswer => Answered == 0 ? null : Math.Round(AnswerWaitSeconds / Answered, 1);

    /// <summary>AvgHandledCallsTime: seconds (one decimal), or null before the first handled call.</summary>
    public double? AverageHandleTime => Handled == 0 ? null : Math.Round(HandleSeconds / Handled, 1);

    /// <summary>Abandoned ÷ (offered − short abandons), 0..1 with four decimals, or null if nothing was offered.</summary>
    public double? AbandonRate => Offered - ShortAbandoned <= 0 ? null : Math.Round(Math.Min(1, (double)Abandoned / (Offered - ShortAbandoned)), 4);

    /// <summary>ServiceLevel, with the configured treatment of abandons (ICM ServiceLevelType), 0..1 with four decimals, or null with no outcome yet.</summary>
    public double? ServiceLevel(ServiceLevelAbandons treatment)
    {
        var (calls, offered) = treatment switch
        {
            ServiceLevelAbandons.Ignore => (AnsweredInServiceLevel, ServiceLevelOffered - AbandonedInServiceLevel),
            ServiceLevelAbandons.Positive => (AnsweredInServiceLevel + AbandonedInServiceLevel, ServiceLevelOffered),
            _ => (AnsweredInServiceLevel, ServiceLevelOffered),
        };
        return offered <= 0 ? null : Math.Round((double)calls / offered, 4);
    }

    public static Tally operator +(Tally a, Tally b) => new()
    {
        Offered = a.Offered + b.Offered,
        Answered = a.Answered + b.Answered,
        Handled = a.Handled + b.Handled,
        Abandoned = a.Abandoned + b.Abandoned,
        ShortAbandoned = a.ShortAbandoned + b.ShortAbandoned,
        ServiceLevelOffered = a.ServiceLevelOffered + b.ServiceLevelOffered,
        AnsweredInServiceLevel = a.AnsweredInServiceLevel + b.AnsweredInServiceLevel,
        AbandonedInServiceLevel = a.AbandonedInServiceLevel + b.AbandonedInServiceLevel,
        AnswerWaitSeconds = a.AnswerWaitSeconds + b.AnswerWaitSeconds,
        HandleSeconds = a.HandleSeconds + b.HandleSeconds,
    };

    public static Tally operator -(Tally a, Tally b) => new()
    {
        Offered = a.Offered - b.Offered,
        Answered = a.Answered - b.Answered,
        Handled = a.Handled - b.Handled,
        Abandoned = a.Abandoned - b.Abandoned,
        ShortAbandoned = a.ShortAbandoned - b.ShortAbandoned,
        ServiceLevelOffered = a.ServiceLevelOffered - b.ServiceLevelOffered,
        AnsweredInServiceLevel = a.AnsweredInServiceLevel - b.AnsweredInServiceLevel,
        AbandonedInServiceLevel = a.AbandonedInServiceLevel - b.AbandonedInServiceLevel,
        AnswerWaitSeconds = a.AnswerWaitSeconds - b.AnswerWaitSeconds,
        HandleSeconds = a.HandleSeconds - b.HandleSeconds,
    };
}

/// <summary>
/// The three windows of one skill group, call type or service, as in ICM: To5 (rolling five minutes), Half (the
/// current half hour, reset at :00 and :30) and Today (since midnight), both in <paramref name="zone"/>: the
/// peripheral's time zone (the center's for a call type).
/// </summary>
public sealed partial class CallWindows(TimeZoneInfo zone)
{
    public static readonly TimeSpan RollingWindow = TimeSpan.FromMinutes(5);

    private readonly Queue<(long Ticks, Tally Delta)> _recent = new();
    private long _halfStart;
    private long _dayStart;

    public TimeZoneInfo Zone => zone;

    public Tally To5 { get; private set; }

    public Tally Half { get; private set; }

    public Tally Today { get; private set; }

    public void Add(DateTimeOffset at, Tally delta)
    {
        Roll(at);
        var ticks = at.UtcTicks;
        _recent.Enqueue((ticks, delta));
        To5 += delta;
        if (ticks >= _halfStart)
        {
            Half += delta;
        }
        if (ticks >= _dayStart)
        {
            Today += delta;
        }
    }

    /// <summary>Drops what fell out of the rolling window and resets the windows whose period ended before <paramref name="now"/>.</summary>
    public void Roll(DateTimeOffset now)
    {
        var oldest = now.UtcTicks - RollingWindow.Ticks;
        while (_recent.TryPeek(out var entry) && entry.Ticks <= oldest)
        {
            To5 -= _recent.Dequeue().Delta;
        }
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var day = DayStart(local);
        var half = local.AddMinutes(-(local.Minute % 30)).AddSeconds(-local.Second).AddTicks(-(local.Ticks % TimeSpan.TicksPerSecond));
        if (half.UtcTicks > _halfStart)
        {
            _halfStart = half.UtcTicks;
            Half = default;
        }
        if (day.UtcTicks > _dayStart)
        {
            _dayStart = day.UtcTicks;
            Today = default;
        }
    }

    /// <summary>Local midnight of <paramref name="local"/>'s date, with the offset in force at midnight (not the one now, after a daylight-saving change).</summary>
    private DateTimeOffset DayStart(DateTimeOffset local)
    {
        var midnight = local.Date;
        var offset = zone.IsInvalidTime(midnight) ? local.Offset : zone.GetUtcOffset(midnight);
        return new DateTimeOffset(midnight, offset);
    }
}

/// <summary>How abandoned calls count in the service level (ICM ServiceLevelType 1, 2, 3).</summary>
public enum ServiceLevelAbandons
{
    /// <summary>1: abandons within the threshold leave the denominator.</summary>
    Ignore = 1,

    /// <summary>2: abandons count against (the default): answered within the threshold ÷ service-level calls offered.</summary>
    Negative = 2,

    /// <summary>3: abandons within the threshold count as met.</summary>
    Positive = 3,
}
