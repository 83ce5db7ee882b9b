namespace RealTimeDistributor.Contracts;

/// <summary>
/// A distributor (or any reader of the central vhost) asks the central controller for every real-time row it holds, as of
/// the last engine interval. <paramref name="Tables"/> limits the answer to those real-time tables (empty: all). The
/// answer is a series of <see cref="RealTimeSnapshotChunk"/> messages sent to the request's response address.
/// </summary>
public sealed record RealTimeSnapshotRequested(string Site, Guid SnapshotId, IReadOnlyList<string> Tables, DateTimeOffset RequestedAt);
