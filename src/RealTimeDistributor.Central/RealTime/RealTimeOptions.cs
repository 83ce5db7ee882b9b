using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// The live statistics feed, from the "RealTime" section:
/// <code>
/// "RealTime": { "Interval": "00:00:01", "FullRefreshEvery": 30, "Simulate": true, "Seed": 42,
///               "CallsPerSecond": 5, "ConfigurationRefresh": "00:00:30" }
/// </code>
/// Simulate = false runs no feed (until a real activity source is registered). CallsPerSecond is the simulation's
/// arrival rate; ConfigurationRefresh is how often the engine rereads agents, skill groups and call types even when no
/// change was committed through this process.
/// </summary>
public sealed record RealTimeOptions(TimeSpan Interval, int FullRefreshEvery, bool Simulate, int Seed, int CallsPerSecond,
    TimeSpan ConfigurationRefresh)
{
    public static RealTimeOptions From(IConfiguration configuration) => new(
        configuration.Duration("RealTime:Interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)),
        configuration.Int("RealTime:FullRefreshEvery", 30, 1, 10_000),
        configuration.Bool("RealTime:Simulate", true),
        configuration.Int("RealTime:Seed", 42, 0, int.MaxValue),
        configuration.Int("RealTime:CallsPerSecond", 5, 0, 100_000),
        configuration.Duration("RealTime:ConfigurationRefresh", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)));
}
