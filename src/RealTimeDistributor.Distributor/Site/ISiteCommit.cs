using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// One batch of database work on the site stream (<see cref="SiteStream.ApplyAsync"/>): applied and committed under the
/// site lease's grant, which the stream checked for it; returns the site updates the stream then publishes, each
/// stamped with that grant's epoch and stream id (a commit the replica refuses under it throws <see cref="EpochRefusedException"/>).
/// </summary>
public interface ISiteCommit
{
    Task<IReadOnlyList<SiteUpdate>> CommitAsync(LeaseGrant grant, CancellationToken cancellationToken);
}
