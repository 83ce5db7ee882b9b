using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client.Snapshots;

/// <summary>Takes snapshot chunks from the client's own snapshot queue to the loader.</summary>
public sealed class SnapshotChunkConsumer(SnapshotLoader loader, ClientSettings settings) : IConsumer<SiteSnapshotChunk>
{
    public Task Consume(ConsumeContext<SiteSnapshotChunk> context)
    {
        if (context.Message.Site == settings.Site)
        {
            loader.Accept(context.Message);
        }
        return Task.CompletedTask;
    }
}
