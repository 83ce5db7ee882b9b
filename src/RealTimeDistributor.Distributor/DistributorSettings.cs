using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// <code>
/// "Distributor": { "Site": "site-a", "Instance": "a", "RealTimeRowsPerMessage": 1000, "RealTimeMaxAhead": "00:10:00", "LeaseDuration": "00:00:03", "CentralQueueMaxLength": 1000000, "QuorumRealTimeQueue": true }
/// </code>
/// Environment form: Distributor__Site, Distributor__Instance. RealTimeRowsPerMessage: at most this many real-time rows
/// of one table in one site message (docs/wire-format.md). RealTimeMaxAhead: how far ahead of this host's clock a
/// real-time row's version (UTC ticks) or updatedAt may be; a row beyond it is refused (docs/wire-format.md).
/// CentralQueueMaxLength: the bound of the site's config queue at the center
/// (<see cref="Topology.Central.DistributorConfigQueueArguments"/>); a backlog beyond it ends in a resync.
/// QuorumRealTimeQueue: false declares the site's real-time queue at the center classic instead of quorum, the baseline
/// of the `realtime` benchmark (docs/benchmarks.md); a central cluster loses a classic queue with its node.
/// </summary>
public sealed record DistributorSettings(string Site, string Instance)
{
    public static readonly TimeSpan DefaultRealTimeMaxAhead = TimeSpan.FromMinutes(10);

    public int RealTimeRowsPerMessage { get; init; } = Topology.Site.RealTimeRowsPerMessage;

    public TimeSpan RealTimeMaxAhead { get; init; } = DefaultRealTimeMaxAhead;
    /// <summary>How long the site lease runs unless renewed (renewed every third of it): after a kill -9 a standby takes over within about this.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(3);
    public int CentralQueueMaxLength { get; init; } = Topology.Central.DistributorConfigQueueMaxLength;
    public bool QuorumRealTimeQueue { get; init; } = true;

    public static DistributorSettings From(IConfiguration configuration) => new(
        configuration.RequiredIdentifier("Distributor:Site"),
        string.IsNullOrWhiteSpace(configuration["Distributor:Instance"]) ? "a" : configuration.RequiredIdentifier("Distributor:Instance"))
    {
        RealTimeRowsPerMessage = configuration.Int("Distributor:RealTimeRowsPerMessage", Topology.Site.RealTimeRowsPerMessage, 1, 10_000),
        RealTimeMaxAhead = configuration.Duration("Distributor:RealTimeMaxAhead", DefaultRealTimeMaxAhead, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
        LeaseDuration = configuration.Duration("Distributor:LeaseDuration", TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(300), TimeSpan.FromMinutes(10)),
        CentralQueueMaxLength = configuration.Int("Distributor:CentralQueueMaxLength", Topology.Central.DistributorConfigQueueMaxLength, 100, 100_000_000),
        QuorumRealTimeQueue = configuration.Bool("Distributor:QuorumRealTimeQueue", true),
    };
}
