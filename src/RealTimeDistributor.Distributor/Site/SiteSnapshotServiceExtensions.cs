using MassTransit;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor.Site;

internal static class SiteSnapshotServiceExtensions
{
    /// <summary>
    /// The site snapshot service: a second bus on the site's virtual host consuming
    /// <see cref="Topology.Site.SnapshotQueue"/>. Every distributor instance of the site consumes it (competing
    /// consumers): any of them can answer from the shared replica. Both run on the site broker (<paramref name="broker"/>,
    /// SiteRabbitMq:*, or the one broker), so a workstation loads a snapshot while the center is out of reach.
    /// </summary>
    public static IServiceCollection AddSiteSnapshots(this IServiceCollection services, DistributorSettings settings, RabbitMqSettings broker)
    {
        services.AddSingleton(sp => new SnapshotSender(broker, Topology.Site.VirtualHost(settings.Site),
            $"rtd {settings.Site} distributor {settings.Instance} snapshots",
            (site, replyTo) => site == settings.Site && Topology.Site.IsClientSnapshotQueue(site, replyTo), Topology.Site.MayReceiveSnapshot,
            sp.GetRequiredService<ILogger<SnapshotSender>>()));
        services.AddSingleton<SiteSnapshotServer>();
        services.AddMassTransit<ISiteBus>(x =>
        {
            x.AddConsumer<SiteSnapshotConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.UseRtdBroker(broker, Topology.Site.VirtualHost(settings.Site), $"rtd {settings.Site} distributor {settings.Instance} site bus",
                    Topology.Central.DistributorBusOwner(settings.Site));
                SiteSnapshotConsumer.Configure(cfg, context, settings, broker);
            });
        });
        return services;
    }
}
