using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// What this process applied to the replica and republished to the site: the one count behind both GET /stats and the
/// host's meter (<see cref="ReportTo"/>, GET /metrics).
/// </summary>
public sealed class DistributorStats
{
    private long _configApplied;
    private long _configDuplicates;
    private long _realTimeRowsApplied;
    private long _realTimeRowsStale;
    private long _realTimeRowsUnchanged;
    private long _sitePublished;
    private long _heartbeats;
    private long _handedBack;
    private long _realTimeBatches;
    private long _realTimeMessagesTaken;
    private long _applyMicros;
    private long _turnWaitMicros;
    private long _publishMicros;

    public long ConfigApplied => Interlocked.Read(ref _configApplied);

    public long ConfigDuplicates => Interlocked.Read(ref _configDuplicates);

    public long RealTimeRowsApplied => Interlocked.Read(ref _realTimeRowsApplied);

    public long RealTimeRowsStale => Interlocked.Read(ref _realTimeRowsStale);

    /// <summary>Real-time rows at the version the replica held already (a full refresh's unchanged rows): neither written nor republished.</summary>
    public long RealTimeRowsUnchanged => Interlocked.Read(ref _realTimeRowsUnchanged);

    public long SitePublished => Interlocked.Read(ref _sitePublished);

    /// <summary>Per-table heartbeats (kind "heartbeat") committed for publishing: one per full refresh of a table.</summary>
    public long RealTimeHeartbeats => Interlocked.Read(ref _heartbeats);

    public void Heartbeats(int count) => Interlocked.Add(ref _heartbeats, count);

    /// <summary>Real-time batches caught in flight when this process lost the site lease: handed back to the queue for the holder.</summary>
    public long RealTimeBatchesHandedBack => Interlocked.Read(ref _handedBack);

    public void HandedBack() => Interlocked.Increment(ref _handedBack);

    /// <summary>
    /// Where a site-stream batch's time goes (microseconds, summed over batches; a batch's publish overlaps the next one's
    /// apply): apply and commit, the wait for its publish turn (the batch before it still being confirmed), its publish and
    /// confirms. With the real-time intake's transactions and the central messages they took: /stats <c>pipeline</c>.
    /// </summary>
    public PipelineTimes Pipeline => new(Interlocked.Read(ref _realTimeBatches), Interlocked.Read(ref _realTimeMessagesTaken),
        Interlocked.Read(ref _applyMicros) / 1000, Interlocked.Read(ref _turnWaitMicros) / 1000, Interlocked.Read(ref _publishMicros) / 1000);

    public void RealTimeTaken(int messages)
    {
        Interlocked.Increment(ref _realTimeBatches);
        Interlocked.Add(ref _realTimeMessagesTaken, messages);
    }

    public void SiteBatchApplied(TimeSpan apply, TimeSpan turnWait)
    {
        Interlocked.Add(ref _applyMicros, (long)apply.TotalMicroseconds);
        Interlocked.Add(ref _turnWaitMicros, (long)turnWait.TotalMicroseconds);
    }

    public void SiteBatchPublished(TimeSpan publish) => Interlocked.Add(ref _publishMicros, (long)publish.TotalMicroseconds);

    public void Applied(int changes) => Interlocked.Add(ref _configApplied, changes);

    public void Duplicate() => Interlocked.Increment(ref _configDuplicates);

    public void RealTimeApplied(int applied, int unchanged, int stale)
    {
        Interlocked.Add(ref _realTimeRowsApplied, applied);
        Interlocked.Add(ref _realTimeRowsUnchanged, unchanged);
        Interlocked.Add(ref _realTimeRowsStale, stale);
    }

    public void Published(int messages) => Interlocked.Add(ref _sitePublished, messages);

    /// <summary>Puts these counts on the meter: its instruments read them when it is collected.</summary>
    public void ReportTo(RtdMetrics metrics)
    {
        metrics.ObserveCounter("rtd.config.applied", "{change}", "configuration changes applied to the site replica", () => ConfigApplied);
        metrics.ObserveCounter("rtd.config.duplicates", "{change}", "configuration changes skipped as duplicates", () => ConfigDuplicates);
        metrics.ObserveCounter("rtd.realtime.rows_applied", "{row}", "real-time rows written to the site replica", () => RealTimeRowsApplied);
        metrics.ObserveCounter("rtd.realtime.rows_stale", "{row}", "real-time rows not written: conflated or older than the replica's",
            () => RealTimeRowsStale);
        metrics.ObserveCounter("rtd.realtime.rows_unchanged", "{row}", "real-time rows at the version the replica held: not written, not republished",
            () => RealTimeRowsUnchanged);
        metrics.ObserveCounter("rtd.realtime.heartbeats", "{message}", "per-table heartbeats of full refreshes", () => RealTimeHeartbeats);
        metrics.ObserveCounter("rtd.site.published", "{message}", "messages published to the site's exchanges", () => SitePublished);
    }
}

/// <summary>The site stream's time, summed over batches (<see cref="DistributorStats.Pipeline"/>).</summary>
public sealed record PipelineTimes(long RealTimeBatches, long RealTimeMessages, long ApplyMs, long PublishTurnWaitMs, long PublishMs);
