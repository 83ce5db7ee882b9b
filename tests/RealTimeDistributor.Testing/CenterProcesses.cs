using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RabbitMQ.Client;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Testing;

/// <summary>A central controller run as a process of its own (so a test can SIGKILL or SIGSTOP it), at its own URL.</summary>
public sealed class CenterProcess(Process process, Uri url, string editorKey) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = url, Timeout = TimeSpan.FromSeconds(5) };

    public Process Process => process;

    public Uri Url => url;

    /// <summary>Its lease as GET /stats reports it; null while it does not answer.</summary>
    public async Task<(bool Holder, long Epoch)?> LeaseAsync()
    {
        try
        {
            var stats = await _http.GetFromJsonAsync<JsonElement>("/stats", Json.Options);
            return (stats.GetProperty("leaseHolder").GetBoolean(), stats.GetProperty("centralEpoch").GetInt64());
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>GET /metrics: the Prometheus text.</summary>
    public Task<string> MetricsAsync() => _http.GetStringAsync("/metrics");

    /// <summary>Waits until it holds the central lease; its epoch.</summary>
    public async Task<long> WaitHolderAsync(TimeSpan timeout) =>
        (await Eventually.Until(LeaseAsync, l => l is { Holder: true }, $"the center at {url} to hold the central lease", timeout))!.Value.Epoch;

    /// <summary>PUT /api/config/{table}/{id}?force=true as the tests' editor; the status (0: no answer).</summary>
    public async Task<HttpStatusCode> PutAsync(string table, long id, object row)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/api/config/{table}/{id}?force=true") { Content = JsonContent.Create(row) };
            request.Headers.Add(AdminApiKey.Header, editorKey);
            using var response = await _http.SendAsync(request);
            return response.StatusCode;
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            return 0;
        }
    }

    /// <summary>SIGSTOP or SIGCONT.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        await kill.WaitForExitAsync();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Starting centers as processes on an <see cref="RtdSystem"/>'s central database and vhost, and listening to what they publish.</summary>
public static class CenterProcesses
{
    /// <summary>A center process on <paramref name="system"/>'s database, at a free port, with <paramref name="settings"/> besides.</summary>
    public static CenterProcess StartCenterProcess(this RtdSystem system, Dictionary<string, string> settings)
    {
        var url = new Uri($"http://127.0.0.1:{CommandRuns.FreePort()}");
        var environment = new CentralHostSettings(TestSettings.ConnectionString(system.CentralDatabase)).AddToEnvironment(new() { ["Urls"] = url.ToString().TrimEnd('/') });
        foreach (var (key, value) in settings)
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return new CenterProcess(system.StartProcess("RealTimeDistributor.Central", environment), url, system.EditorKey);
    }
}

/// <summary>
/// A queue of the test's own bound to the central configuration and real-time exchanges ("#"): every message the centers
/// publish, with its central epoch, read with <see cref="DrainAsync"/>.
/// </summary>
public sealed class CentralTap : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly string _queue;

    private CentralTap(IConnection connection, IChannel channel, string queue) => (_connection, _channel, _queue) = (connection, channel, queue);

    public static async Task<CentralTap> OpenAsync(RtdSystem system)
    {
        var connection = await TestSettings.RabbitConnection(system.CentralVirtualHost).CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 100_000 })).QueueName;
        await channel.QueueBindAsync(queue, Topology.Central.ConfigExchange, "#");
        await channel.QueueBindAsync(queue, Topology.Central.RealTimeExchange, "#");
        return new CentralTap(connection, channel, queue);
    }

    /// <summary>The central epoch and exchange of every message waiting, taken off the queue.</summary>
    public async Task<List<(string Exchange, long Epoch)>> DrainAsync()
    {
        var read = new List<(string, long)>();
        while (await _channel.BasicGetAsync(_queue, autoAck: true) is { } message)
        {
            using var body = JsonDocument.Parse(message.Body);
            read.Add((message.Exchange, body.RootElement.TryGetProperty("centralEpoch", out var epoch) ? epoch.GetInt64() : 0));
        }
        return read;
    }

    /// <summary>Publishes a real-time batch to the central real-time exchange as a center would (application/json), confirmed.</summary>
    public async Task PublishAsync(RealTimeDistributor.Contracts.RealTimeRowsPublished batch)
    {
        await using var channel = await _connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(Topology.Central.RealTimeExchange, Topology.Central.RealTimeRoutingKey(batch.Table), true,
            new BasicProperties { ContentType = "application/json", Persistent = true, MessageId = Guid.NewGuid().ToString() }, Json.Serialize(batch));
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
