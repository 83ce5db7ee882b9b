namespace RealTimeDistributor.Contracts;

/// <summary>A distributor asks the central controller for the whole configuration at a consistent watermark.</summary>
public sealed record ConfigSnapshotRequested(string Site, string Reason);
