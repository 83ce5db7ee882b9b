namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>A message that can never apply; it goes to the error queue with this reason.</summary>
public sealed class PoisonMessageException(string reason) : Exception(reason);
