using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Distributor.Sync;

namespace RealTimeDistributor.Distributor.Consumers;

/// <summary>
/// updateaw: applies each central configuration change to the replica in order, then republishes it to the site.
/// A gap (a change whose predecessor never arrived) stops the apply: the replica is rebuilt from a central snapshot,
/// and the change is applied again after it (usually a duplicate by then).
/// </summary>
public sealed class ConfigChangedConsumer(ConfigApplier applier, ConfigResync resync, SiteStream site, ILogger<ConfigChangedConsumer> logger)
    : IConsumer<ConfigChanged>
{
    public async Task Consume(ConsumeContext<ConfigChanged> context)
    {
        try
        {
            await site.ApplyThenPublishAsync(ct => applier.ApplyAsync(context.Message, ct), context.CancellationToken);
        }
        catch (ConfigGapException gap)
        {
            logger.LogWarning("Configuration gap at {Sequence} (applied through {Applied}): resynchronising", gap.Received, gap.Applied);
            await site.ApplyThenPublishAsync(ct => resync.ResyncAsync(gap.Message, ct), context.CancellationToken);
            await site.ApplyThenPublishAsync(ct => applier.ApplyAsync(context.Message, ct), context.CancellationToken);
        }
        catch (PoisonMessageException poison)
        {
            // the change goes to the error queue with its reason; the replica is rebuilt rather than left without it
            logger.LogError("Configuration change {Sequence} cannot apply: {Reason}; resynchronising", context.Message.Sequence, poison.Message);
            await site.ApplyThenPublishAsync(ct => resync.ResyncAsync($"change {context.Message.Sequence} cannot apply: {poison.Message}", ct),
                context.CancellationToken);
            throw;
        }
    }
}
