namespace RealTimeDistributor.Central;

/// <summary>Counters the demo summary and `rtd status` read from GET /stats.</summary>
public sealed class CentralStats
{
    private long _changesCommitted;
    private long _changesPublished;
    private long _realTimeRowsPublished;

    public long ChangesCommitted => Interlocked.Read(ref _changesCommitted);

    public long ChangesPublished => Interlocked.Read(ref _changesPublished);

    public long RealTimeRowsPublished => Interlocked.Read(ref _realTimeRowsPublished);

    public void Committed() => Interlocked.Increment(ref _changesCommitted);

    public void Published(int changes) => Interlocked.Add(ref _changesPublished, changes);

    public void RealTimePublished(int rows) => Interlocked.Add(ref _realTimeRowsPublished, rows);
}
