using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Testing;

/// <summary>
/// The RabbitMQ management HTTP API, as the admin: declares and removes the vhosts a test runs in. On a cluster
/// (<paramref name="managementPorts"/>: one per node), a request goes to the first node that answers.
/// </summary>
public sealed class Broker(params int[] managementPorts) : IDisposable
{
    private readonly HttpClient _http = Client(managementPorts is [] ? [TestSettings.RabbitManagementPort] : managementPorts);

    private static HttpClient Client(int[] ports)
    {
        var http = new HttpClient(new AnyNode(ports)) { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{ports[0]}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitAdminUser}:{TestSettings.RabbitAdminPassword}")));
        return http;
    }

    /// <summary>Sends to each node's port in turn until one answers (a stopped node refuses the connection).</summary>
    private sealed class AnyNode(int[] ports) : DelegatingHandler(new HttpClientHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            for (var i = 0; ; i++)
            {
                request.RequestUri = new UriBuilder(request.RequestUri!) { Port = ports[i] }.Uri;
                try
                {
                    return await base.SendAsync(request, cancellationToken);
                }
                catch (HttpRequestException) when (i < ports.Length - 1)
                {
                }
            }
        }
    }
    public async Task CreateVirtualHostAsync(string vhost)
    {
        (await _http.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        foreach (var user in new[] { TestSettings.RabbitUser, TestSettings.RabbitAdminUser })
        {
            (await _http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/{user}", new { configure = ".*", write = ".*", read = ".*" }))
                .EnsureSuccessStatusCode();
        }
    }

    /// <summary>
    /// The exchanges the broker definitions declare (Topology.*.DeclaredExchanges, as infra/rabbitmq/apply-definitions.sh
    /// does from topology.conf), for hosts that run under role users, which may not declare them; null: no central vhost.
    /// </summary>
    public async Task DeclareDefinitionsAsync(string? centralVirtualHost, IEnumerable<string> sites)
    {
        var exchanges = (centralVirtualHost is null ? [] : Topology.Central.DeclaredExchanges).Select(e => (VirtualHost: centralVirtualHost!, Exchange: e))
            .Concat(sites.SelectMany(site => Topology.Site.DeclaredExchanges(site).Select(e => (VirtualHost: Topology.Site.VirtualHost(site), Exchange: e))));
        foreach (var (vhost, exchange) in exchanges)
        {
            (await _http.PutAsJsonAsync($"exchanges/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(exchange.Name)}",
                new { type = exchange.Type, durable = true, auto_delete = false })).EnsureSuccessStatusCode();
        }
    }

    public async Task DeleteVirtualHostAsync(string vhost) => await _http.DeleteAsync($"vhosts/{Uri.EscapeDataString(vhost)}");

    public async Task<QueueInfo?> QueueAsync(string vhost, string queue)
    {
        var response = await _http.GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<QueueInfo>() : null;
    }

    /// <summary>The management API's whole record of a queue (consumers, leader, members, counts), for a failing test's output.</summary>
    public async Task<string> QueueRecordAsync(string vhost, string queue) =>
        await (await _http.GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}")).Content.ReadAsStringAsync();

    /// <summary>The names of every queue and exchange of a vhost.</summary>
    public async Task<IReadOnlyList<string>> NamesAsync(string vhost)
    {
        var queues = await _http.GetFromJsonAsync<QueueInfo[]>($"queues/{Uri.EscapeDataString(vhost)}") ?? [];
        var exchanges = await _http.GetFromJsonAsync<QueueInfo[]>($"exchanges/{Uri.EscapeDataString(vhost)}") ?? [];
        return [.. queues.Concat(exchanges).Select(q => q.Name)];
    }

    /// <summary>Throws away every ready message of a queue: how a test makes a change go missing.</summary>
    public async Task PurgeAsync(string vhost, string queue) =>
        (await _http.DeleteAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}/contents")).EnsureSuccessStatusCode();

    /// <summary>Deletes a queue (and its messages): a benchmark's stopped site whose queue would otherwise take copies of the next site's rows.</summary>
    public async Task DeleteQueueAsync(string vhost, string queue) =>
        (await _http.DeleteAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}")).EnsureSuccessStatusCode();

    /// <summary>The names of every broker user.</summary>
    public async Task<IReadOnlyList<string>> UserNamesAsync() =>
        [.. (await _http.GetFromJsonAsync<QueueInfo[]>("users") ?? []).Select(u => u.Name)];

    /// <summary>Creates (or resets) a user without tags or permissions.</summary>
    public async Task PutUserAsync(string user, string password) =>
        (await _http.PutAsJsonAsync($"users/{Uri.EscapeDataString(user)}", new { password, tags = "" })).EnsureSuccessStatusCode();

    public void Dispose() => _http.Dispose();
}

public sealed record QueueInfo(string Name, long Messages, int Consumers, Dictionary<string, object>? Arguments,
    [property: System.Text.Json.Serialization.JsonPropertyName("messages_ready")] long MessagesReady = 0,
    string? Leader = null, string[]? Members = null);
