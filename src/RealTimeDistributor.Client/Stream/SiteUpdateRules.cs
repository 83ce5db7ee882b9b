using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client.Stream;

/// <summary>
/// What a site message must say before the view takes it (docs/security.md, "What is refused where"), beyond its shape,
/// which parsing has checked (<see cref="SiteUpdateJson"/>): this site, a real-time table the center publishes (a
/// configuration table: a lower-case word the change agrees with), positive sequences with the links below the message,
/// a configuration change of its table and key and a known operation, real-time rows whose sequences fit the message. How
/// far ahead of the view a message may be is the view's check (<see cref="View.ClientView"/>, Client:MaxSequenceJump).
/// </summary>
public static class SiteUpdateRules
{
    public static string? Problem(SiteUpdate update, string site)
    {
        if (update.Site != site)
        {
            return $"it is for site '{update.Site}', this workstation belongs to '{site}'";
        }
        if (update is StatusUpdate)
        {
            return null; // in no chain
        }
        if (update is HeartbeatUpdate heartbeat)
        {
            return HeartbeatProblem(heartbeat);
        }
        if (update.Epoch < 0)
        {
            return $"its epoch {update.Epoch} is negative";
        }
        if (update.SiteSequence <= 0 || update.PreviousSiteSequence < 0 || update.PreviousKeySequence < 0
            || update.PreviousSiteSequence >= update.SiteSequence || update.PreviousKeySequence >= update.SiteSequence)
        {
            return $"its sequences do not fit (site {update.SiteSequence}, previous {update.PreviousSiteSequence}, previous of its key {update.PreviousKeySequence})";
        }
        return update switch
        {
            ConfigUpdate change => ChangeProblem(change),
            RealTimeUpdate rows => RowsProblem(rows),
            _ => null,
        };
    }

    /// <summary>A heartbeat is in no chain (site sequence 0) and tells a real-time table's chain head and row count.</summary>
    private static string? HeartbeatProblem(HeartbeatUpdate heartbeat)
    {
        if (!RealTimeTables.IsKnown(heartbeat.Table))
        {
            return $"'{heartbeat.Table}' is not a real-time table ({string.Join(", ", RealTimeTables.All)})";
        }
        return heartbeat.Epoch < 0 || heartbeat.SiteSequence != 0 || heartbeat.PreviousSiteSequence != 0 || heartbeat.PreviousKeySequence != 0
            || heartbeat.ChainHead < 0 || heartbeat.RowCount < 0
            ? $"a heartbeat is in no chain and its counts are not negative (epoch {heartbeat.Epoch}, site {heartbeat.SiteSequence}, chain head {heartbeat.ChainHead}, rows {heartbeat.RowCount})"
            : null;
    }

    private static string? ChangeProblem(ConfigUpdate update)
    {
        var change = update.Config;
        if (!IsWord(update.Table) || change.Table != update.Table || change.Key != update.Key)
        {
            return $"a configuration message must carry one change of its table and key ({update.Table} {update.Key})";
        }
        return !ConfigOperations.IsKnown(change.Operation) || (change.Operation == ConfigOperations.Upsert && change.Row is null)
            ? $"operation '{change.Operation}' is not {ConfigOperations.Upsert} (with a row) or {ConfigOperations.Delete}"
            : null;
    }

    private static string? RowsProblem(RealTimeUpdate update)
    {
        if (!RealTimeTables.IsKnown(update.Table))
        {
            return $"'{update.Table}' is not a real-time table ({string.Join(", ", RealTimeTables.All)})";
        }
        var rows = update.Rows;
        if (rows.Count == 0)
        {
            return "a real-time message carries one or more rows and no configuration change";
        }
        if (update.FirstSiteSequence != update.SiteSequence - rows.Count + 1 || update.FirstSiteSequence <= update.PreviousSiteSequence)
        {
            return $"its {rows.Count} rows do not end at site sequence {update.SiteSequence} after {update.PreviousSiteSequence} (first {update.FirstSiteSequence})";
        }
        return rows.Any(r => string.IsNullOrEmpty(r.Key)) ? "a real-time row has no key" : null;
    }

    private static bool IsWord(string? table) => table is { Length: > 0 and <= 63 } && table.All(c => c is >= 'a' and <= 'z');
}
