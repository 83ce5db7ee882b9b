using System.Text.Json;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// One part of a configuration snapshot: rows of the tables exactly as of change <paramref name="Watermark"/> (every chunk
/// of a snapshot carries the same one), so a replica loaded from all of them continues with change Watermark + 1.
/// Chunks are numbered from 0 and hold at most a bounded number of rows; tables come parents first, each table's rows in
/// id order, a table possibly spread over several chunks. The chunk with <paramref name="Last"/> set says how many rows
/// the snapshot holds in all.
/// </summary>
public sealed record ConfigSnapshotChunk(
    Guid SnapshotId,
    long Watermark,
    int Index,
    bool Last,
    long TotalRows,
    DateTimeOffset TakenAt,
    IReadOnlyList<ConfigSnapshotTable> Tables);

public sealed record ConfigSnapshotTable(string Table, IReadOnlyList<JsonElement> Rows);
