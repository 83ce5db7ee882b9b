using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The OpenTelemetry instruments of the Meter "RealTimeDistributor" (System.Diagnostics.Metrics), one set per host, every
/// measurement tagged with the host's process and site (and instance or workstation). Exported at GET /metrics in the
/// Prometheus text format (names with "." as "_", counters with "_total"); any MeterListener or OpenTelemetry exporter
/// that listens to the meter sees the same. docs/operations.md lists them. The counts a host also shows at GET /stats are
/// observed from its stats object (<see cref="ObserveCounter"/>), so each has one source.
/// </summary>
public sealed class RtdMetrics
{
    public const string MeterName = "RealTimeDistributor";

    private readonly TagList _tags;
    private readonly Histogram<double> _configApplyLatency;
    private long _configLagTicks;

    public RtdMetrics(IMeterFactory meters, string process, string site, IReadOnlyDictionary<string, string>? properties = null)
    {
        Meter = meters.Create(MeterName);
        _tags = new TagList { { "process", process }, { "site", site } };
        foreach (var (name, value) in properties ?? new Dictionary<string, string>())
        {
            _tags.Add(name.ToLowerInvariant(), value);
        }
        _configApplyLatency = Meter.CreateHistogram("rtd.config.apply_latency", "s",
            "central commit to the distributor's ack: applied to the replica and republished to the site", tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
        Meter.CreateObservableGauge("rtd.config.lag", () => new Measurement<double>(TimeSpan.FromTicks(Interlocked.Read(ref _configLagTicks)).TotalSeconds, _tags),
            "s", "central commit to apply, of the last configuration change this distributor applied");
    }

    public Meter Meter { get; }

    /// <summary>The host's tags (process, site, instance or workstation), for instruments a host adds itself.</summary>
    public TagList Tags => _tags;

    /// <summary>A change acked by the distributor, <paramref name="latency"/> after its central commit.</summary>
    public void ConfigAcked(TimeSpan latency)
    {
        _configApplyLatency.Record(latency.TotalSeconds, _tags);
        Interlocked.Exchange(ref _configLagTicks, latency.Ticks);
    }

    /// <summary>A counter read from the host's own state when the meter is collected (e.g. resyncs).</summary>
    public void ObserveCounter(string name, string unit, string description, Func<long> read) =>
        Meter.CreateObservableCounter(name, () => new Measurement<long>(read(), _tags), unit, description);

    /// <summary>A gauge read from the host's own state when the meter is collected; no measurement while it reads null (not known here).</summary>
    public void ObserveGauge(string name, string unit, string description, Func<long?> read) =>
        Meter.CreateObservableGauge(name, () => read() is { } value ? [new Measurement<long>(value, _tags)] : Array.Empty<Measurement<long>>(), unit, description);
}
