using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central;

/// <summary>Counters the demo summary and `rtd status` read from GET /stats; the same counts go to the host's <see cref="RtdMetrics"/>.</summary>
public sealed class CentralStats(RtdMetrics? metrics = null)
{
    private long _changesCommitted;
    private long _changesPublished;
    private long _realTimeRowsPublished;

    public long ChangesCommitted => Interlocked.Read(ref _changesCommitted);

    public long ChangesPublished => Interlocked.Read(ref _changesPublished);

    public long RealTimeRowsPublished => Interlocked.Read(ref _realTimeRowsPublished);

    public void Committed(int changes)
    {
        Interlocked.Add(ref _changesCommitted, changes);
        metrics?.ConfigCommitted(changes);
    }

    public void Published(int changes)
    {
        Interlocked.Add(ref _changesPublished, changes);
        metrics?.ConfigPublished(changes);
    }

    public void RealTimePublished(int rows)
    {
        Interlocked.Add(ref _realTimeRowsPublished, rows);
        metrics?.RealTimeRowsPublished(rows);
    }
}
