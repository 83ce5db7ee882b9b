using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client;

/// <summary>
/// <code>
/// "Client": { "Site": "site-a", "Workstation": "ws1", "Bindings": [ "#" ] }
/// </code>
/// Environment form: Client__Site, Client__Workstation, Client__Bindings__0 ... Bindings are routing-key patterns
/// on the site exchanges: "#" (everything), "skillgroup.*", "skillgroup.5001", ...
/// </summary>
public sealed record ClientSettings(string Site, string Workstation, IReadOnlyList<string> Bindings)
{
    public static ClientSettings From(IConfiguration configuration)
    {
        var bindings = configuration.GetSection("Client:Bindings").Get<string[]>() ?? [];
        foreach (var binding in bindings)
        {
            if (string.IsNullOrWhiteSpace(binding) || binding.Length > 255 || binding.Any(char.IsWhiteSpace))
            {
                throw new InvalidConfigurationException("Client:Bindings", $"has '{binding}': a binding is a routing-key pattern such as skillgroup.* or #.");
            }
        }
        return new ClientSettings(
            configuration.RequiredIdentifier("Client:Site"),
            configuration.RequiredIdentifier("Client:Workstation"),
            bindings.Length == 0 ? [Topology.AllKeys] : bindings);
    }
}
