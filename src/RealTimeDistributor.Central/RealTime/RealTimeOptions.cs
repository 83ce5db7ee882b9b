using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// The live statistics feed, from the "RealTime" section:
/// <code>
/// "RealTime": { "Interval": "00:00:01", "FullRefreshEvery": 30, "Simulate": true, "Seed": 42 }
/// </code>
/// </summary>
public sealed record RealTimeOptions(TimeSpan Interval, int FullRefreshEvery, bool Simulate, int Seed)
{
    public static RealTimeOptions From(IConfiguration configuration) => new(
        configuration.Duration("RealTime:Interval", TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)),
        configuration.Int("RealTime:FullRefreshEvery", 30, 1, 10_000),
        configuration.Bool("RealTime:Simulate", true),
        configuration.Int("RealTime:Seed", 42, 0, int.MaxValue));
}
