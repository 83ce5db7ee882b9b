using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The OpenTelemetry instruments of the Meter "RealTimeDistributor" (System.Diagnostics.Metrics), one set per host, every
/// measurement tagged with the host's process and site (and instance or workstation). Exported at GET /metrics in the
/// Prometheus text format (names with "." as "_", counters with "_total"); any MeterListener or OpenTelemetry exporter
/// that listens to the meter sees the same. docs/operations.md lists them.
/// </summary>
public sealed class RtdMetrics
{
    public const string MeterName = "RealTimeDistributor";

    private readonly TagList _tags;
    private readonly Counter<long> _configCommitted;
    private readonly Counter<long> _configPublished;
    private readonly Counter<long> _configApplied;
    private readonly Counter<long> _configDuplicates;
    private readonly Histogram<double> _configApplyLatency;
    private readonly Counter<long> _realTimeRowsPublished;
    private readonly Counter<long> _realTimeRowsApplied;
    private readonly Counter<long> _realTimeRowsStale;
    private readonly Counter<long> _sitePublished;
    private long _configLagTicks;

    public RtdMetrics(IMeterFactory meters, string process, string site, IReadOnlyDictionary<string, string>? properties = null)
    {
        Meter = meters.Create(MeterName);
        _tags = new TagList { { "process", process }, { "site", site } };
        foreach (var (name, value) in properties ?? new Dictionary<string, string>())
        {
            _tags.Add(name.ToLowerInvariant(), value);
        }
        _configCommitted = Meter.CreateCounter<long>("rtd.config.committed", "{change}", "configuration changes committed at the center");
        _configPublished = Meter.CreateCounter<long>("rtd.config.published", "{change}", "configuration changes the change-log relay published (confirmed)");
        _configApplied = Meter.CreateCounter<long>("rtd.config.applied", "{change}", "configuration changes applied to the site replica");
        _configDuplicates = Meter.CreateCounter<long>("rtd.config.duplicates", "{change}", "configuration changes skipped as duplicates");
        _configApplyLatency = Meter.CreateHistogram("rtd.config.apply_latency", "s",
            "central commit to the distributor's ack: applied to the replica and republished to the site", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        _realTimeRowsPublished = Meter.CreateCounter<long>("rtd.realtime.rows_published", "{row}", "real-time rows published by the center");
        _realTimeRowsApplied = Meter.CreateCounter<long>("rtd.realtime.rows_applied", "{row}", "real-time rows written to the site replica");
        _realTimeRowsStale = Meter.CreateCounter<long>("rtd.realtime.rows_stale", "{row}", "real-time rows not written: conflated or older than the replica's");
        _sitePublished = Meter.CreateCounter<long>("rtd.site.published", "{message}", "messages published to the site's exchanges");
        Meter.CreateObservableGauge("rtd.config.lag", () => new Measurement<double>(TimeSpan.FromTicks(Interlocked.Read(ref _configLagTicks)).TotalSeconds, _tags),
            "s", "central commit to apply, of the last configuration change this distributor applied");
    }

    public Meter Meter { get; }

    /// <summary>The host's tags (process, site, instance or workstation), for instruments a host adds itself.</summary>
    public TagList Tags => _tags;

    public void ConfigCommitted(int changes) => _configCommitted.Add(changes, _tags);

    public void ConfigPublished(int changes) => _configPublished.Add(changes, _tags);

    public void ConfigApplied(int changes) => _configApplied.Add(changes, _tags);

    public void ConfigDuplicate() => _configDuplicates.Add(1, _tags);

    /// <summary>A change acked by the distributor, <paramref name="latency"/> after its central commit.</summary>
    public void ConfigAcked(TimeSpan latency)
    {
        _configApplyLatency.Record(latency.TotalSeconds, _tags);
        Interlocked.Exchange(ref _configLagTicks, latency.Ticks);
    }

    public void RealTimeRowsPublished(int rows) => _realTimeRowsPublished.Add(rows, _tags);

    public void RealTimeRowsApplied(int applied, int stale)
    {
        _realTimeRowsApplied.Add(applied, _tags);
        _realTimeRowsStale.Add(stale, _tags);
    }

    public void SitePublished(int messages) => _sitePublished.Add(messages, _tags);

    /// <summary>A counter read from the host's own state when the meter is collected (e.g. resyncs).</summary>
    public void ObserveCounter(string name, string unit, string description, Func<long> read) =>
        Meter.CreateObservableCounter(name, () => new Measurement<long>(read(), _tags), unit, description);
}
