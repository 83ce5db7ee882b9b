using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Site;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>rtdist: bulk-applies a batch of real-time rows to the replica, then republishes the rows it wrote to the site.</summary>
public sealed class RealTimeRowsConsumer(RealTimeApplier applier, SiteStream site) : IConsumer<RealTimeRowsPublished>
{
    public Task Consume(ConsumeContext<RealTimeRowsPublished> context) =>
        site.ApplyThenPublishAsync(ct => applier.ApplyAsync(context.Message, ct), context.CancellationToken);
}
