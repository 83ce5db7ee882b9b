using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// <code>
/// "Distributor": { "Site": "site-a", "Instance": "a" }
/// </code>
/// Environment form: Distributor__Site, Distributor__Instance.
/// </summary>
public sealed record DistributorSettings(string Site, string Instance)
{
    public static DistributorSettings From(IConfiguration configuration) => new(
        configuration.RequiredIdentifier("Distributor:Site"),
        string.IsNullOrWhiteSpace(configuration["Distributor:Instance"]) ? "a" : configuration.RequiredIdentifier("Distributor:Instance"));
}
