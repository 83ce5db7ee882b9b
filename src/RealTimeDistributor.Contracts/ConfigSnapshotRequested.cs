namespace RealTimeDistributor.Contracts;

/// <summary>
/// A distributor asks the central controller for the whole configuration at a consistent watermark. The answer is a
/// series of <see cref="SnapshotChunk{TRow}"/> of <see cref="ConfigSnapshotRow"/> with the same
/// <paramref name="SnapshotId"/>, sent to the queue named <paramref name="ReplyTo"/> through the default exchange.
/// </summary>
/// <param name="WatermarkOnly">
/// Only the center's last committed sequence: the answer is one empty chunk, marked last, carrying it as its watermark
/// (how a distributor tells a change the center never committed from a late one).
/// </param>
public sealed record ConfigSnapshotRequested(string Site, string Reason, Guid SnapshotId, string ReplyTo, bool WatermarkOnly = false);
