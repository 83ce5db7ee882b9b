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

    public long ChangesCommitted => Interlocked.Read(ref _changesCommitted);

    public long ChangesPublished => Interlocked.Read(ref _changesPublished);

    public long RealTimeRowsPublished => Interlocked.Read(ref _realTimeRowsPublished);

    public void Committed(int changes) => Interlocked.Add(ref _changesCommitted, changes);

    public void Published(int changes) => Interlocked.Add(ref _changesPublished, changes);

    public void RealTimePublished(int rows) => Interlocked.Add(ref _realTimeRowsPublished, rows);

    /// <summary>Puts these counts on the meter: its instruments read them when it is collected.</summary>
    public void ReportTo(RtdMetrics metrics)
    {
        metrics.ObserveCounter("rtd.config.committed", "{change}", "configuration changes committed at the center", () => ChangesCommitted);
        metrics.ObserveCounter("rtd.config.published", "{change}", "configuration changes the change-log relay published (confirmed)",
            () => ChangesPublished);
        metrics.ObserveCounter("rtd.realtime.rows_published", "{row}", "real-time rows published by the center", () => RealTimeRowsPublished);
    }
}
