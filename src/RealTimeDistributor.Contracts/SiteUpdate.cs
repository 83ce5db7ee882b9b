using System.Text.Json.Serialization;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// What a distributor republishes on its site's exchanges, after the replica commit (wire format 3, docs/wire-format.md):
/// one record per shape, <see cref="ConfigUpdate"/>, <see cref="RealTimeUpdate"/>, <see cref="ResetUpdate"/>,
/// <see cref="StatusUpdate"/> and <see cref="HeartbeatUpdate"/>, told apart on the wire by the field <c>kind</c> (<see cref="SiteUpdateJson"/>: every
/// shape is written with every field of the wire format, in its order, as one flat object).
/// <see cref="PreviousSiteSequence"/> is the site sequence of the message before this one on the same exchange and
/// table (kind and table): a client that holds less than it for that table has missed something, even when it binds only
/// some tables. <see cref="PreviousKeySequence"/> is the same link per row (kind, table and key), for a client that binds
/// single configuration keys ("agent.1001"); real-time messages are not linked per key (every client of a real-time table
/// receives all its messages and follows the table's chain). 0 means "not chained".
/// </summary>
[JsonConverter(typeof(SiteUpdateJson))]
public abstract record SiteUpdate(string Site, long SiteSequence, string Table, DateTimeOffset PublishedAt)
{
    public const string ConfigKind = "config";
    public const string RealTimeKind = "realtime";

    /// <summary>The kind of a <see cref="ResetUpdate"/>.</summary>
    public const string ResetKind = "reset";

    /// <summary>The kind of a <see cref="StatusUpdate"/>, and its table.</summary>
    public const string StatusKind = "status";
    public const string CenterTable = "center";

    /// <summary>The kind of a <see cref="HeartbeatUpdate"/>.</summary>
    public const string HeartbeatKind = "heartbeat";

    /// <summary>
    /// The wire's discriminator: <see cref="ConfigKind"/>, <see cref="RealTimeKind"/>, <see cref="ResetKind"/>,
    /// <see cref="StatusKind"/> or <see cref="HeartbeatKind"/>.
    /// </summary>
    public abstract string Kind { get; }

    /// <summary>The site sequence of the message's first row (the only one for a configuration change).</summary>
    public long FirstSiteSequence { get; init; } = SiteSequence;

    /// <summary>The site sequence of the message before this one of the same kind and table; 0: not chained.</summary>
    public long PreviousSiteSequence { get; init; }

    /// <summary>Configuration changes: the site sequence of the message before this one of the same row; 0: not chained.</summary>
    public long PreviousKeySequence { get; init; }

    /// <summary>
    /// The fencing epoch the distributor committed this message's site sequences under: it only grows (a takeover adds one, a
    /// recreated replica starts above every earlier one). A client ignores a message of a lower epoch than its view's and
    /// reloads on a higher one. 0: a distributor before wire format 3.
    /// </summary>
    public long Epoch { get; init; }

    /// <summary>The replica's stream id: a new one when the replica database is created anew (then the site sequence starts again).</summary>
    public Guid StreamId { get; init; }
}

/// <summary>
/// Kind "config": one configuration change of row <paramref name="Key"/> of <paramref name="Table"/>, routing key
/// "{table}.{key}" on the configuration exchange.
/// </summary>
[JsonConverter(typeof(SiteUpdateJson))]
public sealed record ConfigUpdate(string Site, long SiteSequence, string Table, string Key, ConfigChanged Config, DateTimeOffset PublishedAt)
    : SiteUpdate(Site, SiteSequence, Table, PublishedAt)
{
    public override string Kind => ConfigKind;
}

/// <summary>
/// Kind "realtime": up to <c>Topology.Site.RealTimeRowsPerMessage</c> rows of one table, routing key "{table}" on the
/// real-time exchange: row i has site sequence <see cref="SiteUpdate.FirstSiteSequence"/> + i, the last one
/// <see cref="SiteUpdate.SiteSequence"/>.
/// </summary>
[JsonConverter(typeof(SiteUpdateJson))]
public sealed record RealTimeUpdate(string Site, long SiteSequence, string Table, IReadOnlyList<RealTimeRow> Rows, DateTimeOffset PublishedAt)
    : SiteUpdate(Site, SiteSequence, Table, PublishedAt)
{
    public override string Kind => RealTimeKind;
}

/// <summary>
/// Kind "reset": the site's state changed without per-row messages (a resync rebuilt the replica, or another instance took
/// the site over); every client whose view is older than this message's site sequence reloads its snapshot now. Routing
/// key <c>reset</c> on the configuration exchange, which every client queue binds; no table (""), key, change or rows.
/// </summary>
[JsonConverter(typeof(SiteUpdateJson))]
public sealed record ResetUpdate(string Site, long SiteSequence, DateTimeOffset PublishedAt) : SiteUpdate(Site, SiteSequence, "", PublishedAt)
{
    public override string Kind => ResetKind;
}

/// <summary>
/// Kind "status": table <see cref="SiteUpdate.CenterTable"/>, site sequence 0 (it is in no chain), and
/// <paramref name="CenterUnreachableSince"/> set while the distributor cannot reach the center (null once it can again).
/// </summary>
[JsonConverter(typeof(SiteUpdateJson))]
public sealed record StatusUpdate(string Site, DateTimeOffset? CenterUnreachableSince, DateTimeOffset PublishedAt)
    : SiteUpdate(Site, 0, CenterTable, PublishedAt)
{
    public override string Kind => StatusKind;
}

/// <summary>
/// Kind "heartbeat": published once for a real-time table each time a full refresh of it applies, routing key "{table}"
/// on the real-time exchange, site sequence 0 (it is in no chain, like a status). A full refresh republishes no row the
/// replica already held; this message says instead that the table is live and how far its chain has gone:
/// <paramref name="ChainHead"/> is the last site sequence the distributor handed out for the table (the
/// <see cref="SiteUpdate.PreviousSiteSequence"/> its next message will carry), <paramref name="RowCount"/> the replica's rows
/// of it. A client that holds less than the chain head for the table has missed a message of it and reloads its snapshot.
/// </summary>
[JsonConverter(typeof(SiteUpdateJson))]
public sealed record HeartbeatUpdate(string Site, string Table, long ChainHead, long RowCount, DateTimeOffset PublishedAt)
    : SiteUpdate(Site, 0, Table, PublishedAt)
{
    public override string Kind => HeartbeatKind;
}
