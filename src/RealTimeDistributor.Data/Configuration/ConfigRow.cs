namespace RealTimeDistributor.Data.Configuration;

/// <summary>A row of the replicated configuration. <see cref="ConfigSequence"/> is the change that last wrote it, and its version.</summary>
public abstract class ConfigRow
{
    public long Id { get; set; }

    public long ConfigSequence { get; set; }
}
