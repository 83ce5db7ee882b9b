namespace RealTimeDistributor.Contracts;

/// <summary>
/// A distributor asks the central controller for the whole configuration at a consistent watermark. The answer is a
/// series of <see cref="ConfigSnapshotChunk"/> messages with the same <paramref name="SnapshotId"/>, sent to the request's
/// response address (the requester's bus endpoint).
/// </summary>
public sealed record ConfigSnapshotRequested(string Site, string Reason, Guid SnapshotId);
