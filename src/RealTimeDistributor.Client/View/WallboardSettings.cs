using System.Text.Json.Serialization;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// <code>"Client": { "Wallboard": { "ServiceLevelGreen": 80, "ServiceLevelAmber": 60, "FrameInterval": "00:00:00.250",
/// "ConnectionBuffer": 8, "MaxConnections": 1000, "MaxScopes": 256 } }</code>
/// (Client__Wallboard__ServiceLevelGreen ...): the wallboard shows a service level at or above ServiceLevelGreen percent
/// green, at or above ServiceLevelAmber amber, below it red. GET /events sends the view's changes coalesced per row into
/// one frame every FrameInterval; each browser connection buffers at most ConnectionBuffer events (frames and status),
/// and one that falls further behind gets a fresh reset when it reads again; a client serves at most MaxConnections
/// event streams at once, and answers more with 503; and streams of at most MaxScopes distinct scopes (?group=, ?team=:
/// each scope's events are encoded once for its connections), a scope without a connection dropped first, else 503
/// (docs/wallboard.md).
/// <code>"TimeInState": { "NotReady": { "Amber": "00:05:00", "Red": "00:10:00" }, "Talking": {...}, "WrapUp": {...}, "Ready": {...} }</code>
/// colours an agent's time in a state amber from Amber on and red from Red on (<see cref="StateThreshold.Defaults"/>;
/// 00:00:00 turns a colour off).
/// </summary>
public sealed record WallboardSettings(int ServiceLevelGreen, int ServiceLevelAmber)
{
    /// <summary>Per agent state (as the agent rows name it: "not-ready", "talking", "wrap-up", "ready"), when its time turns amber and red.</summary>
    public IReadOnlyDictionary<string, StateThreshold> TimeInState { get; init; } = StateThreshold.Defaults;

    [JsonIgnore]
    public TimeSpan FrameInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    [JsonIgnore]
    public int ConnectionBuffer { get; init; } = 8;

    [JsonIgnore]
    public int MaxConnections { get; init; } = 1000;

    [JsonIgnore]
    public int MaxScopes { get; init; } = 256;

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
                MaxScopes = configuration.Int("Client:Wallboard:MaxScopes", 256, 1, 10_000),
                TimeInState = StateThreshold.From(configuration),
            };
    }
}

/// <summary>When an agent's time in one state turns amber and red on the wallboard, in seconds (0: never).</summary>
public sealed record StateThreshold(int AmberSeconds, int RedSeconds)
{
    private const string Section = "Client:Wallboard:TimeInState";

    /// <summary>The setting's name of each state (Client:Wallboard:TimeInState:NotReady) and the state's name in the agent rows.</summary>
    private static readonly (string Setting, string State)[] States = [("NotReady", "not-ready"), ("Talking", "talking"), ("WrapUp", "wrap-up"), ("Ready", "ready")];

    /// <summary>Not ready: amber 5 min, red 10; talking: 10 and 20; wrap-up: 2 and 5; ready: 5 and 15 (an agent long idle).</summary>
    public static readonly IReadOnlyDictionary<string, StateThreshold> Defaults = new Dictionary<string, StateThreshold>
    {
        ["not-ready"] = new(300, 600),
        ["talking"] = new(600, 1200),
        ["wrap-up"] = new(120, 300),
        ["ready"] = new(300, 900),
    };

    public static IReadOnlyDictionary<string, StateThreshold> From(IConfiguration configuration)
    {
        var unknown = configuration.GetSection(Section).GetChildren().Select(c => c.Key)
            .Where(k => !States.Any(s => s.Setting.Equals(k, StringComparison.OrdinalIgnoreCase))).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidConfigurationException($"{Section}:{unknown[0]}", $"is not a state: use {string.Join(", ", States.Select(s => s.Setting))}.");
        }
        var thresholds = new Dictionary<string, StateThreshold>();
        foreach (var (setting, state) in States)
        {
            var key = $"{Section}:{setting}";
            var amber = configuration.Duration($"{key}:Amber", TimeSpan.FromSeconds(Defaults[state].AmberSeconds), TimeSpan.Zero, TimeSpan.FromDays(1));
            var red = configuration.Duration($"{key}:Red", TimeSpan.FromSeconds(Defaults[state].RedSeconds), TimeSpan.Zero, TimeSpan.FromDays(1));
            if (amber > TimeSpan.Zero && red > TimeSpan.Zero && red < amber)
            {
                throw new InvalidConfigurationException($"{key}:Red", $"is {red}, before {key}:Amber ({amber}).");
            }
            thresholds[state] = new StateThreshold((int)amber.TotalSeconds, (int)red.TotalSeconds);
        }
        return thresholds;
    }
}
