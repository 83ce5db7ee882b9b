using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// <code>"Client": { "Wallboard": { "ServiceLevelGreen": 80, "ServiceLevelAmber": 60 } }</code>
/// (Client__Wallboard__ServiceLevelGreen ...): the wallboard shows a service level at or above ServiceLevelGreen percent
/// green, at or above ServiceLevelAmber amber, below it red.
/// </summary>
public sealed record WallboardSettings(int ServiceLevelGreen, int ServiceLevelAmber)
{
    public static WallboardSettings From(IConfiguration configuration)
    {
        var green = configuration.Int("Client:Wallboard:ServiceLevelGreen", 80, 1, 100);
        var amber = configuration.Int("Client:Wallboard:ServiceLevelAmber", 60, 0, 100);
        return amber > green
            ? throw new InvalidConfigurationException("Client:Wallboard:ServiceLevelAmber", $"is {amber}, above Client:Wallboard:ServiceLevelGreen ({green}).")
            : new WallboardSettings(green, amber);
    }
}
