namespace RealTimeDistributor.Gateways;

/// <summary>
/// Where the statistics engine's activity comes from. The default is <see cref="SimulatedActivity"/>; a real feed
/// (peripheral gateway events, a CTI stream) implements the same two calls.
/// </summary>
public interface IActivitySource
{
    /// <summary>The configuration changed (or was loaded for the first time); <paramref name="now"/> is central time.</summary>
    void Configure(StatisticsConfiguration configuration, DateTimeOffset now);

    /// <summary>Everything that happened after the previous call, up to and including <paramref name="until"/>, in time order.</summary>
    ValueTask<IReadOnlyList<ActivityEvent>> ReadAsync(DateTimeOffset until, CancellationToken cancellationToken);
}
