using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tools;

/// <summary>Broker user names as infra/rabbitmq/roles.conf writes them.</summary>
public static class BrokerUsers
{
    /// <summary>A workstation's broker user, as infra/rabbitmq/roles.conf names it ("rtd-{site}-ws-{workstation}").</summary>
    public static string Workstation(string site, string workstation) => Topology.Site.WorkstationUser(site, workstation);
}
