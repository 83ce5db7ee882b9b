namespace RealTimeDistributor.Contracts;

/// <summary>
/// A client workstation asks its site's distributor for the current state of the site: every configuration row and
/// real-time row whose routing key "{table}.{key}" matches one of <paramref name="Bindings"/> (topic patterns, the same
/// the workstation binds its queue with). The answer is a series of <see cref="SnapshotChunk{TRow}"/> of <see cref="SiteSnapshotRow"/> sent to the
/// queue named <paramref name="ReplyTo"/> through the default exchange.
/// </summary>
public sealed record SiteSnapshotRequested(
    string Site,
    string Workstation,
    Guid SnapshotId,
    string ReplyTo,
    IReadOnlyList<string> Bindings,
    DateTimeOffset RequestedAt);
