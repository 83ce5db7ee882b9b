using System.Collections.Concurrent;
using System.Diagnostics;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// The trace context of each traced change in flight (its apply span, <see cref="RealTimeDistributor.Hosting.RtdTracing"/>),
/// by sequence, from its arrival until it is acked: the site stream's publish of the change continues that trace. Holds
/// at most the changes in flight (Topology.Central.DistributorConfigInFlight); nothing while tracing is off.
/// </summary>
public sealed class ConfigTraces
{
    private readonly ConcurrentDictionary<long, ActivityContext> _open = new();

    public bool IsEmpty => _open.IsEmpty;

    public void Open(long sequence, Activity? span)
    {
        if (span is not null)
        {
            _open[sequence] = span.Context;
        }
    }

    public void Close(long sequence) => _open.TryRemove(sequence, out _);

    public ActivityContext? Of(long sequence) => _open.TryGetValue(sequence, out var context) ? context : null;
}
