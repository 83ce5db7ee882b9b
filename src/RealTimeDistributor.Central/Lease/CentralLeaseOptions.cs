using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Lease;

/// <summary>
/// The "Central" section: <c>Central:Lease:Duration</c> (default 3 s) is how long the central lease runs unless renewed
/// (renewed every third of it; a standby takes over within about this after a kill -9 of the active center);
/// <c>Central:Checkpoint:Interval</c> (default 2 s) is how often the active center writes the statistics checkpoint.
/// </summary>
public sealed record CentralLeaseOptions(TimeSpan Duration, TimeSpan CheckpointInterval)
{
    public static readonly CentralLeaseOptions Default = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(2));

    public TimeSpan RenewEvery => Duration / 3;

    public static CentralLeaseOptions From(IConfiguration configuration) => new(
        configuration.Duration("Central:Lease:Duration", Default.Duration, TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(10)),
        configuration.Duration("Central:Checkpoint:Interval", Default.CheckpointInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10)));
}
