using System.Text.Json;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// One part of a snapshot: the one chunk shape of the three snapshot flows (configuration and real-time from the central
/// controller, a site's state from its distributor); only the rows differ. Every chunk of snapshot
/// <paramref name="SnapshotId"/> carries the same <paramref name="Watermark"/>, the point the rows are consistent with (a
/// configuration sequence, a site sequence, or the central engine's interval in UTC ticks). Chunks are numbered from 0;
/// <paramref name="TotalRows"/> counts the rows of this chunk and of every one before it, so the chunk with
/// <paramref name="Last"/> set says how many rows the snapshot holds in all. The snapshot is complete when a reader holds
/// chunks 0 to the last one's index and their rows add up to its TotalRows.
/// </summary>
public sealed record SnapshotChunk<TRow>(
    string Site,
    Guid SnapshotId,
    int Index,
    bool Last,
    long TotalRows,
    long Watermark,
    DateTimeOffset TakenAt,
    IReadOnlyList<TRow> Rows)
{
    /// <summary>A site snapshot's fencing epoch and stream id (<see cref="SiteUpdate.Epoch"/>) as of its watermark; 0 and empty for central snapshots.</summary>
    public long Epoch { get; init; }

    /// <inheritdoc cref="SiteUpdate.StreamId"/>
    public Guid StreamId { get; init; }
}

/// <summary>A configuration row of a central configuration snapshot: the whole entity, camelCase, with its table.</summary>
public sealed record ConfigSnapshotRow(string Table, JsonElement Row);

/// <summary>A real-time row of a central real-time snapshot, with its table: the value the engine last published for the key.</summary>
public sealed record RealTimeSnapshotRow(string Table, RealTimeRow Row);

/// <summary>
/// One row of a site snapshot, as the stream would have delivered it. Kind "config": <paramref name="Value"/> is the whole
/// configuration row and <paramref name="Version"/> its config sequence. Kind "realtime": Value is the row's data and
/// Version its real-time version; <paramref name="UpdatedAt"/> is the central time the value was computed.
/// </summary>
public sealed record SiteSnapshotRow(string Kind, string Table, string Key, long Version, DateTimeOffset UpdatedAt, JsonElement Value);
