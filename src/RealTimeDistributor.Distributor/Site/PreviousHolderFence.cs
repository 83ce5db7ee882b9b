using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// A frozen lease holder (SIGSTOP, a paused VM) stays the single active consumer of the site's central queues until the
/// broker finds its connection dead (the AMQP heartbeat: up to a minute), and no change is applied meanwhile. So an
/// instance that takes the lease from another closes that instance's central connections (named
/// <see cref="Topology.Central.DistributorConnectionName"/>) through the broker's management API
/// (<see cref="RabbitMqSettings.ManagementUrl"/>, with the distributor's own user, which may close its own user's
/// connections: the management tag): the queues turn to this instance at once; what the old one held unacknowledged is
/// delivered again, in order. When the old one wakes it reconnects and stands by (its lease is gone, its commits are
/// refused by epoch). Best effort: when the API cannot be reached the queues turn when the broker drops the connection.
/// </summary>
public sealed class PreviousHolderFence(RabbitMqSettings broker, DistributorSettings settings, ILogger<PreviousHolderFence> logger)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>The instance of a lease holder id (<see cref="DatabaseLease{TGrant, THolding}.Holder"/> of <see cref="SiteLease"/>, "{instance}-{guid}").</summary>
    public static string InstanceOf(string holder) => holder.LastIndexOf('-') is > 0 and var dash ? holder[..dash] : holder;

    /// <summary>Closes the central connections of <paramref name="previousHolder"/>'s instance; the number closed.</summary>
    public async Task<int> CloseConnectionsOfAsync(string previousHolder, CancellationToken cancellationToken)
    {
        var instance = InstanceOf(previousHolder);
        if (instance == settings.Instance)
        {
            return 0; // this instance's earlier run, gone (or two instances under one name: never close our own)
        }
        var name = Topology.Central.DistributorConnectionName(settings.Site, instance);
        using var http = new HttpClient { BaseAddress = broker.ManagementUrl, Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{broker.Username}:{broker.Password}")));
        try
        {
            var closed = 0;
            var connections = await http.GetFromJsonAsync<JsonElement>(
                $"api/vhosts/{Uri.EscapeDataString(broker.CentralVirtualHost)}/connections", cancellationToken);
            foreach (var connection in connections.EnumerateArray().Where(c => NameOf(c) == name))
            {
                using var close = new HttpRequestMessage(HttpMethod.Delete, $"api/connections/{Uri.EscapeDataString(connection.GetProperty("name").GetString()!)}");
                close.Headers.Add("X-Reason", $"instance {settings.Instance} took the lease of site {settings.Site} from {instance}");
                using var answer = await http.SendAsync(close, cancellationToken);
                closed += answer.IsSuccessStatusCode ? 1 : 0;
            }
            logger.LogWarning("Closed {Closed} central connection(s) of instance {Previous}, which held the lease of site {Site} and did not renew it",
                closed, instance, settings.Site);
            return closed;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Could not close the central connections of instance {Previous} through {ManagementUrl}: {Problem}; the site's queues turn to "
                + "this instance when the broker drops them", instance, broker.ManagementUrl, exception.Message);
            return 0;
        }
    }

    private static string? NameOf(JsonElement connection) =>
        connection.TryGetProperty("client_properties", out var properties) && properties.ValueKind == JsonValueKind.Object
        && properties.TryGetProperty("connection_name", out var name) ? name.GetString() : null;
}
