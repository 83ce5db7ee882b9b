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

/// <summary>
/// A site commit whose writes may run before the stream's apply lock, beside the batch that holds it
/// (<see cref="SiteStream.ApplyAsync"/>): <see cref="WriteAsync"/> writes in a transaction it leaves open, and what it
/// returns commits under the lock (taking the site sequences, fenced with the grant it gets there), so commit order
/// stays site-sequence order. The writes are retried as the stream retries database work; a commit that fails for a
/// passing reason is not: the lock is released, the writes roll back and are done again before it (under the lock they
/// could wait for the row locks of a batch that waits for the lock). <see cref="ISiteCommit.CommitAsync"/> does it all in one.
/// </summary>
public interface IWritingSiteCommit : ISiteCommit
{
    Task<IWrittenSiteCommit> WriteAsync(CancellationToken cancellationToken);
}

/// <summary>Writes done and not committed (<see cref="IWritingSiteCommit.WriteAsync"/>); disposed without a commit, they roll back.</summary>
public interface IWrittenSiteCommit : ISiteCommit, IAsyncDisposable;
