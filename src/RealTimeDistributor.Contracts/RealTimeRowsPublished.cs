using System.Text.Json.Serialization;
namespace RealTimeDistributor.Contracts;

/// <summary>
/// A batch of real-time rows of one table, published by the central controller every interval
/// (the rows that changed) and periodically in full (<paramref name="FullRefresh"/>).
/// <paramref name="CentralEpoch"/> is the central lease epoch of the center instance that published it (0: none given,
/// not fenced); a distributor ignores a batch of a lower central epoch than the highest it has seen (docs/wire-format.md).
/// </summary>
public sealed record RealTimeRowsPublished(
    string Table,
    bool FullRefresh,
    DateTimeOffset PublishedAt,
    IReadOnlyList<RealTimeRow> Rows,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long CentralEpoch = 0);
