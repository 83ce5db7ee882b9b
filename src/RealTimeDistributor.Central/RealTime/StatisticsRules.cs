using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// How the engine counts abandons (docs/statistics.md, "Measures"): a call abandoned sooner than
/// <see cref="ShortAbandon"/> after its offer is a short abandon (ICM ShortCalls, the abandon wait time), and
/// <see cref="ServiceLevelAbandons"/> is the service level's treatment of the others (ICM ServiceLevelType).
/// </summary>
public sealed record StatisticsRules(TimeSpan ShortAbandon, ServiceLevelAbandons ServiceLevelAbandons)
{
    public static readonly StatisticsRules Default = new(TimeSpan.FromSeconds(5), ServiceLevelAbandons.Negative);

    /// <summary>RealTime:ShortAbandon (0 s to 10 min, default 5 s) and RealTime:ServiceLevelAbandons (ignore, negative, positive; default negative).</summary>
    public static StatisticsRules From(IConfiguration configuration)
    {
        var raw = configuration["RealTime:ServiceLevelAbandons"];
        var treatment = string.IsNullOrWhiteSpace(raw) ? Default.ServiceLevelAbandons
            : Enum.TryParse<ServiceLevelAbandons>(raw, ignoreCase: true, out var parsed) && !int.TryParse(raw, out _) ? parsed
            : throw new InvalidConfigurationException("RealTime:ServiceLevelAbandons", $"is '{raw}': it must be ignore, negative or positive.");
        return new(configuration.Duration("RealTime:ShortAbandon", Default.ShortAbandon, TimeSpan.Zero, TimeSpan.FromMinutes(10)), treatment);
    }
}
