namespace RealTimeDistributor.Distributor.Persistence;

/// <summary>A message that can never apply; it goes to the error queue with this reason.</summary>
public sealed class PoisonMessageException(long sequence, string reason) : Exception(reason)
{
    public PoisonMessageException(string reason)
        : this(0, reason)
    {
    }

    /// <summary>The configuration sequence of the change, when the message is one.</summary>
    public long Sequence { get; } = sequence;
}
