namespace RealTimeDistributor.Contracts;

/// <summary>
/// A batch of real-time rows of one table, published by the central controller every interval
/// (the rows that changed) and periodically in full (<paramref name="FullRefresh"/>).
/// </summary>
public sealed record RealTimeRowsPublished(
    string Table,
    bool FullRefresh,
    DateTimeOffset PublishedAt,
    IReadOnlyList<RealTimeRow> Rows);
