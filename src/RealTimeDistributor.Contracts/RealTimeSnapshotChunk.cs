namespace RealTimeDistributor.Contracts;

/// <summary>
/// One part of a central real-time snapshot: rows of one table, at most Topology.Central.RealTimeSnapshotChunkRows of
/// them. Every chunk of snapshot <paramref name="SnapshotId"/> comes from one copy of the engine's rows taken under its
/// lock: the rows are exactly those the engine published at or before the interval of <paramref name="IntervalAt"/>
/// (null when the engine has not run an interval yet). Each row keeps its own version and central update time, so a
/// reader merges the snapshot with the stream by version. Chunks are numbered 0 to <paramref name="Count"/> - 1.
/// </summary>
public sealed record RealTimeSnapshotChunk(
    string Site,
    Guid SnapshotId,
    int Index,
    int Count,
    bool Last,
    long TotalRows,
    DateTimeOffset? IntervalAt,
    DateTimeOffset TakenAt,
    string Table,
    IReadOnlyList<RealTimeRow> Rows);
