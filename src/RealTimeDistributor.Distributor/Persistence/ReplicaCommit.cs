namespace RealTimeDistributor.Distributor.Persistence;

/// <summary>
/// Replica transactions commit without waiting for the disk flush (PostgreSQL's synchronous_commit = off, for these
/// transactions only). A PostgreSQL crash can then lose the last few commits, but it loses them whole, applied sequence
/// included: the next configuration change is a gap and the replica resyncs from a snapshot, and the next full refresh
/// restores real-time rows. A crash of the distributor itself loses nothing (the commit is in PostgreSQL's memory and WAL
/// buffers). In exchange, an in-order backlog is no longer capped by one disk flush per change.
/// </summary>
public static class ReplicaCommit
{
    public const string Asynchronous = "SET LOCAL synchronous_commit = off";
}
