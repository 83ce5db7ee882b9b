namespace RealTimeDistributor.Contracts;

/// <summary>
/// A distributor asks the central controller for the whole configuration at a consistent watermark. The answer is a
/// series of <see cref="SnapshotChunk{TRow}"/> of <see cref="ConfigSnapshotRow"/> with the same
/// <paramref name="SnapshotId"/>, sent to the queue named <paramref name="ReplyTo"/> through the default exchange.
/// </summary>
public sealed record ConfigSnapshotRequested(string Site, string Reason, Guid SnapshotId, string ReplyTo);
