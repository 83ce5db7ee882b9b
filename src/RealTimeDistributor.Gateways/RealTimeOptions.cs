using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Gateways;

/// <summary>
/// The live statistics feed, from the "RealTime" section:
/// <code>
/// "RealTime": { "Interval": "00:00:01", "FullRefreshEvery": 30, "Simulate": true, "Seed": 42,
///               "CallsPerSecond": 0, "Load": 100, "ConfigurationRefresh": "00:00:30" }
/// </code>
/// Simulate = false runs no feed (until a real activity source is registered). CallsPerSecond is the simulation's
/// arrival rate; 0 (the default) derives it from the staffing: Load % of the calls the configured agents can
/// handle when not on a break (docs/statistics.md, "The simulation"; 100 answers about 80 % within the threshold). ConfigurationRefresh is how often the engine rereads agents, skill groups and call types even when no
/// change was committed through this process.
/// </summary>
public sealed record RealTimeOptions(TimeSpan Interval, int FullRefreshEvery, bool Simulate, int Seed, int CallsPerSecond,
    TimeSpan ConfigurationRefresh, int Load = RealTimeOptions.DefaultLoad)
{
    public const int DefaultLoad = 100;

    public static RealTimeOptions From(IConfiguration configuration) => new(
        configuration.Duration("RealTime:Interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)),
        configuration.Int("RealTime:FullRefreshEvery", 30, 1, 10_000),
        configuration.Bool("RealTime:Simulate", true),
        configuration.Int("RealTime:Seed", 42, 0, int.MaxValue),
        configuration.Int("RealTime:CallsPerSecond", 0, 0, 100_000),
        configuration.Duration("RealTime:ConfigurationRefresh", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
        configuration.Int("RealTime:Load", DefaultLoad, 0, 200));
}
