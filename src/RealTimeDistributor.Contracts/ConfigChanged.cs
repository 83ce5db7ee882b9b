using System.Text.Json;
using System.Text.Json.Serialization;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// One committed configuration change, as written to the central change log.
/// <paramref name="Sequence"/> is gapless: the next change always carries Sequence + 1,
/// and <paramref name="PreviousSequence"/> names the one before it.
/// </summary>
/// <param name="Operation">"upsert" or "delete" (see <see cref="ConfigOperations"/>).</param>
/// <param name="Row">The whole row after the change; null for a delete.</param>
/// <param name="CentralEpoch">The central lease epoch of the center instance that published it (0: none given, not fenced);
/// a distributor ignores a change of a lower central epoch than the highest it has seen (docs/wire-format.md).</param>
public sealed record ConfigChanged(
    long Sequence,
    long PreviousSequence,
    string Table,
    string Operation,
    string Key,
    JsonElement? Row,
    DateTimeOffset CommittedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long CentralEpoch = 0);
