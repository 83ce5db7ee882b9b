using System.Text.Json;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// One part of a site snapshot. Every chunk of snapshot <paramref name="SnapshotId"/> carries the same
/// <paramref name="SiteSequence"/>: the rows are exactly the site's state after that site sequence, so a client applies
/// stream messages above it and drops those at or below it. Chunks are numbered from 0; the one with
/// <paramref name="Last"/> set says how many rows the snapshot holds in all.
/// </summary>
public sealed record SiteSnapshotChunk(
    string Site,
    Guid SnapshotId,
    long SiteSequence,
    int Index,
    bool Last,
    long TotalRows,
    DateTimeOffset TakenAt,
    IReadOnlyList<SiteSnapshotRow> Rows);

/// <summary>
/// One row of a snapshot, as the stream would have delivered it. Kind "config": <paramref name="Value"/> is the whole
/// configuration row and <paramref name="Version"/> its config sequence. Kind "realtime": Value is the row's data and
/// Version its real-time version; <paramref name="UpdatedAt"/> is the central time the value was computed.
/// </summary>
public sealed record SiteSnapshotRow(string Kind, string Table, string Key, long Version, DateTimeOffset UpdatedAt, JsonElement Value);
