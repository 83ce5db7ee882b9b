namespace RealTimeDistributor.Benchmarks;

/// <summary>Simulated central time, moved by the benchmark so the engine runs as fast as it can.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
}
