using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// One broker link of a process as its own code sees it (a distributor has two: the central broker it consumes the
/// center from, across the WAN, and its site broker): reached, or lost since when and why. The connection that carries
/// the link reports <see cref="Reached"/> and <see cref="Lost"/>; /health shows each link as a check of its own
/// (<see cref="HealthEndpoints.AddBrokerLink"/>), /stats and the site status message (docs/wire-format.md) show since when.
/// </summary>
public sealed class BrokerLink(string name, string endpoint, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _lostSince;
    private string? _reason;
    private DateTimeOffset? _lastReached;

    /// <summary>"central-broker", "site-broker": the name of its health check.</summary>
    public string Name { get; } = name;

    /// <summary>amqp://host:port/vhost of the link.</summary>
    public string Endpoint { get; } = endpoint;

    /// <summary>Raised (outside the lock) when the link goes from reached to lost or back.</summary>
    public event Action<BrokerLink>? Changed;

    /// <summary>Since when the link is down (its first failure in a row); null while it is up or was never tried.</summary>
    public DateTimeOffset? LostSince
    {
        get
        {
            lock (_gate)
            {
                return _lostSince;
            }
        }
    }

    public string? Reason
    {
        get
        {
            lock (_gate)
            {
                return _reason;
            }
        }
    }

    /// <summary>When the link last worked; null before it ever did.</summary>
    public DateTimeOffset? LastReached
    {
        get
        {
            lock (_gate)
            {
                return _lastReached;
            }
        }
    }

    public void Reached()
    {
        bool changed;
        lock (_gate)
        {
            changed = _lostSince is not null;
            (_lostSince, _reason, _lastReached) = (null, null, clock.GetUtcNow());
        }
        if (changed)
        {
            Changed?.Invoke(this);
        }
    }

    /// <summary>
    /// This process stopped using the link (a distributor that stands by publishes nothing on its site broker): a failure
    /// seen while it used it no longer says anything, until it is used again.
    /// </summary>
    public void NotInUse()
    {
        bool changed;
        lock (_gate)
        {
            changed = _lostSince is not null;
            (_lostSince, _reason) = (null, null);
        }
        if (changed)
        {
            Changed?.Invoke(this);
        }
    }

    /// <summary>The link failed; a link that is already down keeps its first time.</summary>
    public void Lost(string reason)
    {
        bool changed;
        lock (_gate)
        {
            changed = _lostSince is null;
            _lostSince ??= clock.GetUtcNow();
            _reason = reason;
        }
        if (changed)
        {
            Changed?.Invoke(this);
        }
    }

    public HealthCheckResult Health()
    {
        lock (_gate)
        {
            return _lostSince is { } since
                ? HealthCheckResult.Unhealthy($"{Endpoint} unreachable since {since:O}: {_reason}")
                : HealthCheckResult.Healthy(_lastReached is { } at ? $"{Endpoint} reached at {at:O}" : $"{Endpoint} not tried yet");
        }
    }
}
