namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// Keeps resyncs from looping: each one is counted; when they come closer together than the quiet period, the next waits
/// (doubling up to a ceiling) and is logged as an error, so an operator sees a site that keeps falling out of step.
/// </summary>
public sealed class ResyncGuard(TimeProvider clock, ILogger<ResyncGuard> logger)
{
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(2);

    private readonly Lock _gate = new();
    private DateTimeOffset? _last;
    private TimeSpan _backoff = TimeSpan.Zero;
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public string? LastReason { get; private set; }

    public async Task BeforeResyncAsync(string reason, CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            _backoff = _last is { } last && now - last < QuietPeriod
                ? TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, Math.Max(TimeSpan.FromSeconds(1).Ticks, _backoff.Ticks * 2)))
                : TimeSpan.Zero;
            wait = _backoff;
            LastReason = reason;
        }
        if (wait > TimeSpan.Zero)
        {
            logger.LogError("Repeated resync ({Count} so far) because {Reason}; waiting {Backoff} before the next one", Count, reason, wait);
            await Task.Delay(wait, clock, cancellationToken);
        }
    }

    public void Resynced()
    {
        lock (_gate)
        {
            _last = clock.GetUtcNow();
        }
        Interlocked.Increment(ref _count);
    }
}
