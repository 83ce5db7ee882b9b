using System.Text.Json;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// Every configuration table exactly as of change <paramref name="Watermark"/>: a replica loaded from it continues with
/// change Watermark + 1. Tables are listed parents first.
/// </summary>
public sealed record ConfigSnapshotTaken(long Watermark, DateTimeOffset TakenAt, IReadOnlyList<ConfigSnapshotTable> Tables);

public sealed record ConfigSnapshotTable(string Table, IReadOnlyList<JsonElement> Rows);
