using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// <code>
/// "Distributor": { "Site": "site-a", "Instance": "a", "RealTimeRowsPerMessage": 1000, "CentralQueueMaxLength": 1000000 }
/// </code>
/// Environment form: Distributor__Site, Distributor__Instance. RealTimeRowsPerMessage: at most this many real-time rows
/// of one table in one site message (docs/wire-format.md). CentralQueueMaxLength: the bound of the site's config queue at
/// the center (<see cref="Topology.Central.DeclareDistributorConfigQueueAsync"/>); a backlog beyond it ends in a resync.
/// </summary>
public sealed record DistributorSettings(string Site, string Instance)
{
    public int RealTimeRowsPerMessage { get; init; } = Topology.Site.RealTimeRowsPerMessage;

    public int CentralQueueMaxLength { get; init; } = Topology.Central.DistributorConfigQueueMaxLength;

    public static DistributorSettings From(IConfiguration configuration) => new(
        configuration.RequiredIdentifier("Distributor:Site"),
        string.IsNullOrWhiteSpace(configuration["Distributor:Instance"]) ? "a" : configuration.RequiredIdentifier("Distributor:Instance"))
    {
        RealTimeRowsPerMessage = configuration.Int("Distributor:RealTimeRowsPerMessage", Topology.Site.RealTimeRowsPerMessage, 1, 10_000),
        CentralQueueMaxLength = configuration.Int("Distributor:CentralQueueMaxLength", Topology.Central.DistributorConfigQueueMaxLength, 100, 100_000_000),
    };
}
