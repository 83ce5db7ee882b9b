using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Site;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>updateaw: applies each central configuration change to the replica in order, then republishes it to the site.</summary>
public sealed class ConfigChangedConsumer(ConfigApplier applier, SiteStream site) : IConsumer<ConfigChanged>
{
    public Task Consume(ConsumeContext<ConfigChanged> context) =>
        site.ApplyThenPublishAsync(ct => applier.ApplyAsync(context.Message, ct), context.CancellationToken);
}
