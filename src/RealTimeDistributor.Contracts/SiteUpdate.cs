namespace RealTimeDistributor.Contracts;

/// <summary>
/// What a distributor republishes on its site's exchanges, after the replica commit (wire format 2, docs/wire-format.md).
/// A configuration message (Kind = "config") carries one change in <paramref name="Config"/> and its row's
/// <paramref name="Key"/>, routing key "{table}.{key}". A real-time message (Kind = "realtime") carries up to
/// <c>Topology.Site.RealTimeRowsPerMessage</c> rows of one table in <paramref name="Rows"/> (Key is null), routing key
/// "{table}": row i has site sequence <see cref="FirstSiteSequence"/> + i, the last one <paramref name="SiteSequence"/>.
/// <paramref name="PreviousSiteSequence"/> is the site sequence of the message before this one on the same exchange and
/// table (kind and table): a client that holds less than it for that table has missed something, even when it binds only
/// some tables. <paramref name="PreviousKeySequence"/> is the same link per row (kind, table and key), for a client that
/// binds single configuration keys ("agent.1001"); real-time messages are not linked per key (every client of a
/// real-time table receives all its messages and follows the table's chain). 0 means "not chained".
/// </summary>
public sealed record SiteUpdate(
    string Site,
    long SiteSequence,
    string Kind,
    string Table,
    string? Key,
    ConfigChanged? Config,
    IReadOnlyList<RealTimeRow>? Rows,
    DateTimeOffset PublishedAt,
    long PreviousSiteSequence = 0,
    long PreviousKeySequence = 0)
{
    public const string ConfigKind = "config";
    public const string RealTimeKind = "realtime";

    /// <summary>
    /// Kind "reset": the site's state changed without per-row messages (a resync rebuilt the replica, or another instance took
    /// the site over); every client whose view is older than this message's site sequence reloads its snapshot now. Routing
    /// key <c>reset</c> on the configuration exchange, which every client queue binds; no table, key, change or rows.
    /// </summary>
    public const string ResetKind = "reset";

    /// <summary>
    /// A site status message: table <see cref="CenterTable"/>, site sequence 0 (it is in no chain), and
    /// <see cref="CenterUnreachableSince"/> set while the distributor cannot reach the center (null once it can again).
    /// </summary>
    public const string StatusKind = "status";
    public const string CenterTable = "center";

    /// <summary>In a status message: since when the site's distributor has not reached the center; null: it reaches it.</summary>
    public DateTimeOffset? CenterUnreachableSince { get; init; }

    /// <summary>The site sequence of the message's first row (the only one for a configuration change).</summary>
    public long FirstSiteSequence { get; init; } = SiteSequence;

    /// <summary>
    /// The fencing epoch the distributor committed this message's site sequences under: it only grows (a takeover adds one, a
    /// recreated replica starts above every earlier one). A client ignores a message of a lower epoch than its view's and
    /// reloads on a higher one. 0: a distributor before wire format 3.
    /// </summary>
    public long Epoch { get; init; }

    /// <summary>The replica's stream id: a new one when the replica database is created anew (then the site sequence starts again).</summary>
    public Guid StreamId { get; init; }
}
