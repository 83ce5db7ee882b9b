using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>
/// The broker a chaos run uses: where it is, the user the hosts connect as (all permissions on the run's vhosts) and the
/// management API's admin, which declares and removes the run's vhosts, reads queues and closes connections.
/// </summary>
public sealed record BrokerEndpoint(string Host, int Port, int ManagementPort, string User, string Password, string AdminUser, string AdminPassword)
{
    /// <summary>The machine's broker, as infra/env.sh names it (the tests' user `rtd`, the admin `rtd-admin`).</summary>
    public static BrokerEndpoint Shared() => new(Demo.Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
        int.Parse(Demo.Env("RTD_RABBITMQ_PORT", "5672"), CultureInfo.InvariantCulture),
        int.Parse(Demo.Env("RTD_RABBITMQ_MANAGEMENT_PORT", "15672"), CultureInfo.InvariantCulture),
        Demo.Env("RTD_RABBITMQ_USER", "rtd"), Demo.Env("RTD_RABBITMQ_PASSWORD", "local-demo-rtd"),
        Demo.Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin"), Demo.Env("RTD_RABBITMQ_ADMIN_PASSWORD", "local-demo-admin"));

    /// <summary>A private node of infra/rabbitmq/node.sh on <paramref name="port"/> (management on port + 10000; guest from loopback).</summary>
    public static BrokerEndpoint PrivateNode(int port) => new("127.0.0.1", port, port + 10000, "guest", "guest", "guest", "guest");

    public RabbitMQ.Client.ConnectionFactory Connection(string vhost) => new()
    {
        HostName = Host,
        Port = Port,
        UserName = User,
        Password = Password,
        VirtualHost = vhost,
        ClientProvidedName = "rtd chaos",
    };
}

/// <summary>The management API calls a chaos run makes, as the admin.</summary>
public sealed class ChaosBroker : IDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly BrokerEndpoint _endpoint;

    public ChaosBroker(BrokerEndpoint endpoint)
    {
        _endpoint = endpoint;
        _http = new HttpClient { BaseAddress = new Uri($"http://{endpoint.Host}:{endpoint.ManagementPort}/api/"), Timeout = TimeSpan.FromSeconds(30) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{endpoint.AdminUser}:{endpoint.AdminPassword}")));
    }

    public async Task CreateVirtualHostAsync(string vhost)
    {
        (await _http.PutAsync($"vhosts/{Uri.EscapeDataString(vhost)}", null)).EnsureSuccessStatusCode();
        foreach (var user in new[] { _endpoint.User, _endpoint.AdminUser }.Distinct())
        {
            (await _http.PutAsJsonAsync($"permissions/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(user)}", new { configure = ".*", write = ".*", read = ".*" }))
                .EnsureSuccessStatusCode();
        }
    }

    public async Task DeleteVirtualHostAsync(string vhost)
    {
        using var _ = await _http.DeleteAsync($"vhosts/{Uri.EscapeDataString(vhost)}");
    }

    /// <summary>A queue's messages (ready + unacked) and consumers, null when it does not exist (or the API does not answer).</summary>
    public async Task<JsonElement?> QueueAsync(string vhost, string queue)
    {
        try
        {
            using var response = await _http.GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}");
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>(Web) : null;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    public async Task<long> MessagesAsync(string vhost, string queue) =>
        await QueueAsync(vhost, queue) is { } q && q.TryGetProperty("messages", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt64() : 0;

    /// <summary>
    /// The message ids of the first <paramref name="count"/> messages of a queue, read through the management API and
    /// put back (requeued): which messages reached it, for a scenario that names what is missing.
    /// </summary>
    public async Task<IReadOnlyList<string>> MessageIdsAsync(string vhost, string queue, int count)
    {
        using var response = await _http.PostAsJsonAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}/get",
            new { count, ackmode = "ack_requeue_true", encoding = "auto", truncate = 100 });
        if (!response.IsSuccessStatusCode)
        {
            return [];
        }
        var messages = await response.Content.ReadFromJsonAsync<JsonElement>(Web);
        return [.. messages.EnumerateArray()
            .Select(m => m.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("message_id", out var id) ? id.GetString() : null)
            .OfType<string>()];
    }

    /// <summary>
    /// The connection of the single active consumer of <paramref name="queue"/> (the management API's connection id,
    /// "127.0.0.1:50818 -> 127.0.0.1:5672") and the name its client gave it; null while no consumer is active.
    /// </summary>
    public async Task<(string Connection, string? Name)?> ActiveConsumerAsync(string vhost, string queue)
    {
        if (await QueueAsync(vhost, queue) is not { } q || !q.TryGetProperty("consumer_details", out var consumers))
        {
            return null;
        }
        foreach (var consumer in consumers.EnumerateArray())
        {
            var active = consumer.TryGetProperty("activity_status", out var status)
                ? status.GetString() is "single_active" or "up"
                : consumer.TryGetProperty("active", out var a) && a.GetBoolean();
            if (active && consumer.TryGetProperty("channel_details", out var channel) && channel.ValueKind == JsonValueKind.Object
                && channel.TryGetProperty("connection_name", out var c) && c.GetString() is { } connection)
            {
                return (connection, await ConnectionNameAsync(connection));
            }
        }
        return null;
    }

    private async Task<string?> ConnectionNameAsync(string connection)
    {
        var answer = await _http.GetFromJsonAsync<JsonElement>($"connections/{Uri.EscapeDataString(connection)}", Web);
        return answer.TryGetProperty("user_provided_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()
            : answer.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var cn) ? cn.GetString() : null;
    }

    /// <summary>Closes one connection (its client sees the broker close it, and reconnects).</summary>
    public async Task CloseConnectionAsync(string connection)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"connections/{Uri.EscapeDataString(connection)}");
        request.Headers.Add("X-Reason", "rtd chaos: split the streams");
        using var _ = await _http.SendAsync(request);
    }

    /// <summary>Throws away every ready message of a queue.</summary>
    public async Task PurgeAsync(string vhost, string queue) =>
        (await _http.DeleteAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}/contents")).EnsureSuccessStatusCode();

    public void Dispose() => _http.Dispose();
}
