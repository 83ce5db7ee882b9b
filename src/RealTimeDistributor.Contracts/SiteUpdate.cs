namespace RealTimeDistributor.Contracts;

/// <summary>
/// What a distributor republishes on its site's exchanges, after the replica commit.
/// Every message of a site carries the next <paramref name="SiteSequence"/>, so a client that
/// sees a gap knows it missed something and reloads a snapshot.
/// Exactly one of <paramref name="Config"/> (Kind = "config") and <paramref name="Row"/>
/// (Kind = "realtime") is set.
/// </summary>
public sealed record SiteUpdate(
    string Site,
    long SiteSequence,
    string Kind,
    string Table,
    string Key,
    ConfigChanged? Config,
    RealTimeRow? Row,
    DateTimeOffset PublishedAt)
{
    public const string ConfigKind = "config";
    public const string RealTimeKind = "realtime";
}
