using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// rtclient's initial load: takes a workstation's snapshot request off the site's snapshot queue, refuses it when its
/// sender may not have it (<see cref="SnapshotSender.Refuses"/>: user_id, reply queue, rate) and otherwise hands it to
/// <see cref="SiteSnapshotServer"/>, which answers every request waiting at once with one read of the replica, in chunks of
/// <see cref="Topology.Site.SnapshotChunkRows"/> to each workstation's snapshot queue (only a
/// <see cref="Topology.Site.ClientSnapshotQueue"/> of this site). The request is acknowledged once its snapshot is sent.
/// </summary>
public sealed class SiteSnapshotConsumer(SiteSnapshotServer server, SnapshotSender sender) : IConsumer<SiteSnapshotRequested>
{
    /// <summary>
    /// The site's snapshot queue on the site bus (<see cref="Topology.Site.SnapshotQueueArguments"/>; every instance of the
    /// site competes on it) and this consumer on it, up to <see cref="SiteSnapshotServer.MaxShared"/> requests at once:
    /// those that wait while a read runs share the next one.
    /// </summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator bus, IRegistrationContext context, DistributorSettings settings, RabbitMqSettings broker) =>
        bus.ReceiveEndpoint(Topology.Site.SnapshotQueue(settings.Site), e =>
        {
            e.UseTopologyQueue(Topology.Site.SnapshotQueueArguments);
            e.PrefetchCount = SiteSnapshotServer.MaxShared;
            e.ConcurrentMessageLimit = SiteSnapshotServer.MaxShared;
            e.BindWithoutDeclaring(context, Topology.Site.SnapshotQueue(settings.Site), Topology.Site.SnapshotQueueBindings(settings.Site),
                Topology.Site.VirtualHost(settings.Site), broker);
            // a dead pooled connection (the replica's backends terminated) fails its first use: try again on a fresh one
            e.UseMessageRetry(r =>
            {
                r.Handle<Exception>(Resilience.IsTransient);
                r.Intervals(100, 500, 1000, 2000);
            });
            e.ConfigureConsumer<SiteSnapshotConsumer>(context);
        });

    public Task Consume(ConsumeContext<SiteSnapshotRequested> context)
    {
        var request = context.Message;
        return sender.Refuses(request.Site, request.ReplyTo, request.SnapshotId, SnapshotSender.SenderOf(context))
            ? Task.CompletedTask
            : server.ServeAsync(request, context.CancellationToken);
    }
}
