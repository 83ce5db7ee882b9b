using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central;

/// <summary>
/// What the center committed and published: the one count behind GET /stats (the demo summary, `rtd status`) and the
/// host's meter (<see cref="ReportTo"/>, GET /metrics).
/// </summary>
public sealed class CentralStats
{
    private long _changesCommitted;
    private long _changesPublished;
    private long _realTimeRowsPublished;
    private long _activityApplied;
    private long _activityDuplicates;
    private long _activityRefused;
    private long _resyncsRequested;
    private long _lastSequence = -1;
    private long _publishedSequence = -1;

    public long ChangesCommitted => Interlocked.Read(ref _changesCommitted);

    public long ChangesPublished => Interlocked.Read(ref _changesPublished);

    public long RealTimeRowsPublished => Interlocked.Read(ref _realTimeRowsPublished);

    /// <summary>Peripheral events applied to the statistics engine (issue 16).</summary>
    public long ActivityApplied => Interlocked.Read(ref _activityApplied);

    /// <summary>Peripheral events dropped as already seen (same session, sequence not above the last).</summary>
    public long ActivityDuplicates => Interlocked.Read(ref _activityDuplicates);

    /// <summary>Peripheral events refused (malformed, unknown, out of bounds): each logged and parked with its reason.</summary>
    public long ActivityRefused => Interlocked.Read(ref _activityRefused);

    public long ResyncsRequested => Interlocked.Read(ref _resyncsRequested);

    public void ActivityCounted(IntakeOutcome outcome)
    {
        switch (outcome)
        {
            case IntakeOutcome.Applied:
                Interlocked.Increment(ref _activityApplied);
                break;
            case IntakeOutcome.Duplicate:
                Interlocked.Increment(ref _activityDuplicates);
                break;
            default:
                Interlocked.Increment(ref _activityRefused);
                break;
        }
    }

    public void ResyncRequested() => Interlocked.Increment(ref _resyncsRequested);

    public void Committed(int changes) => Interlocked.Add(ref _changesCommitted, changes);

    public void Published(int changes) => Interlocked.Add(ref _changesPublished, changes);

    public void RealTimePublished(int rows) => Interlocked.Add(ref _realTimeRowsPublished, rows);

    /// <summary>
    /// What the change-log relay saw at its last pass: the newest sequence in the change log (at most one batch beyond
    /// the published one) and the last one the broker confirmed. A center that runs no relay reports neither.
    /// </summary>
    public void RelayAt(long last, long published)
    {
        Interlocked.Exchange(ref _lastSequence, last);
        Interlocked.Exchange(ref _publishedSequence, published);
    }

    /// <summary>Puts these counts on the meter: its instruments read them when it is collected.</summary>
    public void ReportTo(RtdMetrics metrics)
    {
        metrics.ObserveCounter("rtd.config.committed", "{change}", "configuration changes committed at the center", () => ChangesCommitted);
        metrics.ObserveCounter("rtd.config.published", "{change}", "configuration changes the change-log relay published (confirmed)",
            () => ChangesPublished);
        metrics.ObserveCounter("rtd.activity.applied", "{event}", "peripheral events applied", () => ActivityApplied);
        metrics.ObserveCounter("rtd.activity.duplicates", "{event}", "peripheral events dropped as duplicates", () => ActivityDuplicates);
        metrics.ObserveCounter("rtd.activity.refused", "{event}", "peripheral events refused (error queue)", () => ActivityRefused);
        metrics.ObserveCounter("rtd.realtime.rows_published", "{row}", "real-time rows published by the center", () => RealTimeRowsPublished);
        metrics.ObserveGauge("rtd.config.last_sequence", "{change}", "the newest configuration sequence committed at the center (as the relay last read it)",
            () => Interlocked.Read(ref _lastSequence) is >= 0 and var last ? last : null);
        metrics.ObserveGauge("rtd.config.published_sequence", "{change}", "the last configuration sequence the relay published (confirmed)",
            () => Interlocked.Read(ref _publishedSequence) is >= 0 and var published ? published : null);
    }
}
