using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// A distributor's two brokers: the central one (RabbitMq:*), which it consumes the center from, across the WAN at a
/// remote site, and its site broker (SiteRabbitMq:*; without that section the same broker), where it publishes the site
/// stream and serves its workstations' snapshots. Each has its own <see cref="BrokerLink"/>: "central-broker" (the
/// config queue's connection) and "site-broker" (the site stream's publishes).
/// </summary>
public sealed class SiteLinks(RabbitMqSettings central, RabbitMqSettings siteBroker, DistributorSettings settings, TimeProvider clock)
{
    public RabbitMqSettings SiteBroker { get; } = siteBroker;

    public BrokerLink Center { get; } = new("central-broker", central.Endpoint(central.CentralVirtualHost), clock);

    public BrokerLink Site { get; } = new("site-broker", siteBroker.Endpoint(Topology.Site.VirtualHost(settings.Site)), clock);
}
