namespace RealTimeDistributor.Contracts;

/// <summary>
/// A distributor (or any reader of the central vhost) asks the central controller for every real-time row it holds, as of
/// the last engine interval. <paramref name="Tables"/> limits the answer to those real-time tables (empty: all). The
/// answer is a series of <see cref="SnapshotChunk{TRow}"/> of <see cref="RealTimeSnapshotRow"/> sent to the queue named
/// <paramref name="ReplyTo"/> through the default exchange.
/// </summary>
public sealed record RealTimeSnapshotRequested(string Site, Guid SnapshotId, string ReplyTo, IReadOnlyList<string> Tables, DateTimeOffset RequestedAt);
