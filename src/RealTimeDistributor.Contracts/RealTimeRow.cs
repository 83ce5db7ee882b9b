using System.Text.Json;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// The current value of one real-time row. Last value wins per (table, key): a row with a
/// lower <paramref name="Version"/> never overwrites a higher one.
/// </summary>
/// <param name="UpdatedAt">Central time at which this value was computed.</param>
/// <param name="Data">The row's columns, as a JSON object.</param>
public sealed record RealTimeRow(string Key, long Version, DateTimeOffset UpdatedAt, JsonElement Data);
