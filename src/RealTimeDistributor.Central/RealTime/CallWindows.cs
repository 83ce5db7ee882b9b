namespace RealTimeDistributor.Central.RealTime;

/// <summary>Call counts of one window. <see cref="LeftQueue"/> (answered + abandoned) is the service level's denominator.</summary>
public readonly record struct Tally(long Offered, long Answered, long Handled, long Abandoned, long AnsweredInServiceLevel, double AnswerWaitSeconds)
{
    public long LeftQueue => Answered + Abandoned;

    /// <summary>Average speed of answer in seconds (one decimal), or null before the first answer.</summary>
    public double? AverageSpeedOfAnswer => Answered == 0 ? null : Math.Round(AnswerWaitSeconds / Answered, 1);

    /// <summary>Share of the calls that left the queue which were answered within the call type's threshold (0..1, four decimals).</summary>
    public double? ServiceLevel => LeftQueue == 0 ? null : Math.Round((double)AnsweredInServiceLevel / LeftQueue, 4);

    public static Tally operator +(Tally a, Tally b) => new(a.Offered + b.Offered, a.Answered + b.Answered, a.Handled + b.Handled,
        a.Abandoned + b.Abandoned, a.AnsweredInServiceLevel + b.AnsweredInServiceLevel, a.AnswerWaitSeconds + b.AnswerWaitSeconds);

    public static Tally operator -(Tally a, Tally b) => new(a.Offered - b.Offered, a.Answered - b.Answered, a.Handled - b.Handled,
        a.Abandoned - b.Abandoned, a.AnsweredInServiceLevel - b.AnsweredInServiceLevel, a.AnswerWaitSeconds - b.AnswerWaitSeconds);
}

/// <summary>
/// The three windows of one skill group, call type or service, as in ICM: To5 (rolling five minutes), Half (the
/// current half hour, reset at :00 and :30 local time) and Today (since local midnight).
/// </summary>
public sealed partial class CallWindows(TimeZoneInfo zone)
{
    public static readonly TimeSpan RollingWindow = TimeSpan.FromMinutes(5);

    private readonly Queue<(long Ticks, Tally Delta)> _recent = new();
    private long _halfStart;
    private long _dayStart;

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
        var day = new DateTimeOffset(local.Date, local.Offset);
        var half = day.AddMinutes((local.Hour * 60) + (local.Minute < 30 ? 0 : 30));
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
}
