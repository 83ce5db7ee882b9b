using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>The links of the site stream's messages (<see cref="SiteUpdate.PreviousSiteSequence"/>, <see cref="SiteUpdate.PreviousKeySequence"/>), kept by <see cref="SiteStream"/> under its apply lock.</summary>
internal sealed class SiteChain
{
    private readonly Dictionary<(string Kind, string Table), long> _lastInTable = [];
    private readonly Dictionary<(string Kind, string Table, string Key), long> _lastOfKey = [];

    /// <summary>
    /// Links each update to the last site sequence handed out for its (kind, table), and a configuration change also to
    /// the last one of its row (kind, table, key; real-time messages carry many rows and are followed per table),
    /// recorded before the publish, so a publish that fails and is retried with new sequences shows up at the clients as
    /// a gap rather than as nothing. This process did not see what was handed out before its first apply: the first
    /// message of each table and row links to the site sequence at that moment (<paramref name="startSequence"/>), which a
    /// client that has been running longer may take for a gap (one extra snapshot after a distributor restart or failover,
    /// never a silently wrong view). A republished duplicate is not linked.
    /// </summary>
    public List<SiteUpdate> Link(IReadOnlyList<SiteUpdate> updates, long startSequence)
    {
        var chained = new List<SiteUpdate>(updates.Count);
        foreach (var update in updates)
        {
            if (update is ResetUpdate)
            {
                chained.Add(update); // reaches every client; not part of a table's chain
                continue;
            }
            if (update is HeartbeatUpdate heartbeat)
            {
                // in no chain itself: it tells where its table's chain stands, after this batch's rows of the table
                var head = _lastInTable.GetValueOrDefault((SiteUpdate.RealTimeKind, update.Table), startSequence);
                chained.Add(heartbeat with { ChainHead = head });
                continue;
            }
            var previous = _lastInTable.GetValueOrDefault((update.Kind, update.Table), startSequence);
            if (update.SiteSequence <= previous)
            {
                chained.Add(update);
                continue;
            }
            _lastInTable[(update.Kind, update.Table)] = update.SiteSequence;
            var previousOfKey = 0L;
            if (update is ConfigUpdate { Key: var key })
            {
                previousOfKey = _lastOfKey.GetValueOrDefault((update.Kind, update.Table, key), startSequence);
                _lastOfKey[(update.Kind, update.Table, key)] = update.SiteSequence;
            }
            chained.Add(update with { PreviousSiteSequence = previous, PreviousKeySequence = previousOfKey });
        }
        return chained;
    }

    /// <summary>Forgets every link: the next message of each table and row links to the start sequence given then.</summary>
    public void Clear()
    {
        _lastInTable.Clear();
        _lastOfKey.Clear();
    }
}
