namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>A configuration change arrived whose predecessor was never applied.</summary>
public sealed class ConfigGapException(long applied, long received)
    : Exception($"Configuration gap: the replica has applied sequence {applied}, the next message is {received}.")
{
    public long Applied { get; } = applied;

    public long Received { get; } = received;
}
