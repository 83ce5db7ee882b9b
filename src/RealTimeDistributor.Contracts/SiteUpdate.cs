namespace RealTimeDistributor.Contracts;

/// <summary>
/// What a distributor republishes on its site's exchanges, after the replica commit.
/// Every message of a site carries the next <paramref name="SiteSequence"/>, so a client that
/// sees a gap knows it missed something and reloads a snapshot.
/// Exactly one of <paramref name="Config"/> (Kind = "config") and <paramref name="Row"/>
/// (Kind = "realtime") is set.
/// <paramref name="PreviousSiteSequence"/> is the site sequence of the message before this one on the same exchange and
/// table (kind and table): a client that receives the whole table (bound with "#" or "{table}.*") and holds less than it
/// for that table has missed something, even when it binds only some tables. <paramref name="PreviousKeySequence"/> is the
/// same link per row (kind, table and key), for a client that binds single keys ("agent.1001"). 0 means "not chained".
/// </summary>
public sealed record SiteUpdate(
    string Site,
    long SiteSequence,
    string Kind,
    string Table,
    string Key,
    ConfigChanged? Config,
    RealTimeRow? Row,
    DateTimeOffset PublishedAt,
    long PreviousSiteSequence = 0,
    long PreviousKeySequence = 0)
{
    public const string ConfigKind = "config";
    public const string RealTimeKind = "realtime";
}
