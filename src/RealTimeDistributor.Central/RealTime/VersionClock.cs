namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// Versions for real-time rows: strictly increasing and derived from the clock, so they keep rising across a
/// restart of the central controller (a counter from zero would make every site ignore the new values).
/// </summary>
public sealed class VersionClock(TimeProvider clock)
{
    private long _last;

    public long Next()
    {
        while (true)
        {
            var last = Interlocked.Read(ref _last);
            var next = Math.Max(last + 1, clock.GetUtcNow().UtcTicks);
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                return next;
            }
        }
    }
}
