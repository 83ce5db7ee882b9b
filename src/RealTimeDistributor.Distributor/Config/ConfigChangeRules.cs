using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>What a configuration change must be before it may apply (<see cref="Validate"/>), and its row and id as the replica stores them.</summary>
public static class ConfigChangeRules
{
    /// <summary>
    /// Checks a change can apply at all; one that cannot is poison (error queue, with the reason): its sequence, table,
    /// operation and key, and for an upsert a row of the table's shape whose text PostgreSQL can store (<see cref="TextRules"/>).
    /// </summary>
    public static void Validate(ConfigChanged change)
    {
        if (change.Sequence <= 0 || change.PreviousSequence != change.Sequence - 1)
        {
            throw new PoisonMessageException(change.Sequence, $"Sequence {change.Sequence} with previous {change.PreviousSequence} is out of range.");
        }
        if (!ConfigTables.TryFind(change.Table ?? "", out var table))
        {
            throw new PoisonMessageException(change.Sequence, $"Unknown configuration table '{change.Table}'.");
        }
        if (!ConfigOperations.IsKnown(change.Operation ?? ""))
        {
            throw new PoisonMessageException(change.Sequence, $"Unknown operation '{change.Operation}'.");
        }
        if (!long.TryParse(change.Key, out var id) || id <= 0)
        {
            throw new PoisonMessageException(change.Sequence, $"Key '{change.Key}' is not a positive id.");
        }
        if (change.Operation == ConfigOperations.Upsert)
        {
            if (change.Row is null)
            {
                throw new PoisonMessageException(change.Sequence, $"Upsert {change.Sequence} has no row.");
            }
            if (TextRules.Check(change.Row.Value, "row") is { } text)
            {
                throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence}: {text}");
            }
            Deserialize(change, table);
        }
    }

    internal static ConfigRow Deserialize(ConfigChanged change, ConfigTable table)
    {
        try
        {
            var row = table.Deserialize(change.Row!.Value, Json.Options)
                ?? throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence} has an empty row.");
            if (row.Id != Id(change))
            {
                throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence}: row id {row.Id} does not match key {change.Key}.");
            }
            return row;
        }
        catch (JsonException exception)
        {
            throw new PoisonMessageException(change.Sequence, $"Change {change.Sequence}: the row does not parse as {change.Table}: {exception.Message}");
        }
    }

    internal static long Id(ConfigChanged change) => long.Parse(change.Key, System.Globalization.CultureInfo.InvariantCulture);
}
