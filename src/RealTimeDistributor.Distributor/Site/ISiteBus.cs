using MassTransit;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>The distributor's second MassTransit bus: on the site's virtual host, where its workstations ask for snapshots.</summary>
public interface ISiteBus : IBus;
