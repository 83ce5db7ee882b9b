namespace RealTimeDistributor.Distributor;

/// <summary>Counters for GET /stats: what this process applied to the replica and republished to the site.</summary>
public sealed class DistributorStats
{
    private long _configApplied;
    private long _configDuplicates;
    private long _realTimeRowsApplied;
    private long _realTimeRowsStale;
    private long _sitePublished;

    public long ConfigApplied => Interlocked.Read(ref _configApplied);

    public long ConfigDuplicates => Interlocked.Read(ref _configDuplicates);

    public long RealTimeRowsApplied => Interlocked.Read(ref _realTimeRowsApplied);

    public long RealTimeRowsStale => Interlocked.Read(ref _realTimeRowsStale);

    public long SitePublished => Interlocked.Read(ref _sitePublished);

    public void Applied(int changes) => Interlocked.Add(ref _configApplied, changes);

    public void Duplicate() => Interlocked.Increment(ref _configDuplicates);

    public void RealTimeApplied(int applied, int stale)
    {
        Interlocked.Add(ref _realTimeRowsApplied, applied);
        Interlocked.Add(ref _realTimeRowsStale, stale);
    }

    public void Published(int messages) => Interlocked.Add(ref _sitePublished, messages);
}
