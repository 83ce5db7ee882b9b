using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client;

/// <summary>
/// <code>
/// "Client": { "Site": "site-a", "Workstation": "ws1", "Bindings": [ "#" ],
///             "QueueMaxLength": 100000, "SnapshotTimeout": "00:00:15", "StaleAfter": "00:00:45" }
/// </code>
/// Environment form: Client__Site, Client__Workstation, Client__Bindings__0 ... Bindings are routing-key patterns
/// on the site exchanges: "#" (everything), "skillgroup.*", "skillgroup.5001", ... The snapshot is filtered the same way.
/// SnapshotTimeout: a snapshot request that sees no chunk for this long is sent again. StaleAfter: a real-time table
/// whose newest central update time is older than this is flagged stale. Temporary (Client__Temporary, default false):
/// the client's queues are exclusive and auto-delete, gone when it disconnects (rtd client --once, or without --workstation).
/// MaxSequenceJump (default 1,000,000): a site message more than this above the view's last site sequence is refused.
/// MaxEpochAhead (default 1.00:00:00): a site message of a higher epoch than the view's that is more than this ahead of the
/// workstation's clock (an epoch is a replica's creation time in milliseconds plus its takeovers) is refused.
/// SnapshotMinInterval (default 00:00:02): the client starts at most one snapshot load in this time.
/// </summary>
public sealed record ClientSettings(string Site, string Workstation, IReadOnlyList<string> Bindings)
{
    public int QueueMaxLength { get; init; } = Topology.Site.ClientQueueMaxLength;

    public TimeSpan SnapshotTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(45);

    public bool Temporary { get; init; }

    /// <summary>How far above the view's last site sequence a message may be; further is refused (a forged or corrupt sequence).</summary>
    public long MaxSequenceJump { get; init; } = View.ClientView.DefaultMaxSequenceJump;

    /// <summary>How far ahead of this clock a higher epoch may be; further is refused (a forged epoch).</summary>
    public TimeSpan MaxEpochAhead { get; init; } = View.ClientView.DefaultMaxEpochAhead;

    /// <summary>The shortest time between the starts of two snapshot loads: the bound on how often anything makes the client reload.</summary>
    public TimeSpan SnapshotMinInterval { get; init; } = DefaultSnapshotMinInterval;

    public static readonly TimeSpan DefaultSnapshotMinInterval = TimeSpan.FromSeconds(2);

    public static ClientSettings From(IConfiguration configuration)
    {
        var bindings = configuration.GetSection("Client:Bindings").Get<string[]>() ?? [];
        foreach (var binding in bindings)
        {
            if (string.IsNullOrWhiteSpace(binding) || binding.Length > 255 || binding.Any(char.IsWhiteSpace))
            {
                throw new InvalidConfigurationException("Client:Bindings", $"has '{binding}': a binding is a routing-key pattern such as skillgroup.* or #.");
            }
        }
        return new ClientSettings(
            configuration.RequiredIdentifier("Client:Site"),
            configuration.RequiredIdentifier("Client:Workstation"),
            bindings.Length == 0 ? [Topology.AllKeys] : bindings)
        {
            QueueMaxLength = configuration.Int("Client:QueueMaxLength", Topology.Site.ClientQueueMaxLength, 1, 10_000_000),
            SnapshotTimeout = configuration.Duration("Client:SnapshotTimeout", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)),
            StaleAfter = configuration.Duration("Client:StaleAfter", TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
            Temporary = configuration.Bool("Client:Temporary", false),
            MaxSequenceJump = configuration.Int("Client:MaxSequenceJump", (int)View.ClientView.DefaultMaxSequenceJump, 1, int.MaxValue),
            MaxEpochAhead = configuration.Duration("Client:MaxEpochAhead", View.ClientView.DefaultMaxEpochAhead, TimeSpan.FromSeconds(1), TimeSpan.FromDays(365)),
            SnapshotMinInterval = configuration.Duration("Client:SnapshotMinInterval", DefaultSnapshotMinInterval, TimeSpan.FromMilliseconds(100),
                TimeSpan.FromMinutes(10)),
        };
    }
}
