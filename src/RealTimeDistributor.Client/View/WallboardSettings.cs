using System.Text.Json.Serialization;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// <code>"Client": { "Wallboard": { "ServiceLevelGreen": 80, "ServiceLevelAmber": 60, "FrameInterval": "00:00:00.250",
/// "ConnectionBuffer": 8, "MaxConnections": 1000 } }</code>
/// (Client__Wallboard__ServiceLevelGreen ...): the wallboard shows a service level at or above ServiceLevelGreen percent
/// green, at or above ServiceLevelAmber amber, below it red. GET /events sends the view's changes coalesced per row into
/// one frame every FrameInterval; each browser connection buffers at most ConnectionBuffer events (frames and status),
/// and one that falls further behind gets a fresh reset when it reads again; a client serves at most MaxConnections
/// event streams at once, and answers more with 503 (docs/wallboard.md).
/// </summary>
public sealed record WallboardSettings(int ServiceLevelGreen, int ServiceLevelAmber)
{
    [JsonIgnore]
    public TimeSpan FrameInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    [JsonIgnore]
    public int ConnectionBuffer { get; init; } = 8;

    [JsonIgnore]
    public int MaxConnections { get; init; } = 1000;

    public static WallboardSettings From(IConfiguration configuration)
    {
        var green = configuration.Int("Client:Wallboard:ServiceLevelGreen", 80, 1, 100);
        var amber = configuration.Int("Client:Wallboard:ServiceLevelAmber", 60, 0, 100);
        return amber > green
            ? throw new InvalidConfigurationException("Client:Wallboard:ServiceLevelAmber", $"is {amber}, above Client:Wallboard:ServiceLevelGreen ({green}).")
            : new WallboardSettings(green, amber)
            {
                FrameInterval = configuration.Duration("Client:Wallboard:FrameInterval", TimeSpan.FromMilliseconds(250),
                    TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(10)),
                ConnectionBuffer = configuration.Int("Client:Wallboard:ConnectionBuffer", 8, 2, 1000),
                MaxConnections = configuration.Int("Client:Wallboard:MaxConnections", 1000, 1, 100_000),
            };
    }
}
