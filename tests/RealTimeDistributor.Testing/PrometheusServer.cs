using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace RealTimeDistributor.Testing;

/// <summary>One alert of Prometheus's GET /api/v1/alerts: its name, state (pending, firing) and labels.</summary>
public sealed record PrometheusAlert(string Name, string State, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// A real Prometheus for one test, started and removed by infra/prometheus/prometheus.sh (its own free port and folder under
/// /var/tmp, from an empty state), scraping the targets the test names (file_sd), with a short scrape and evaluation
/// interval and every alert's `for:` shortened (prometheus.sh --interval, --for), no broker target.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly string _folder;
    private readonly HttpClient _http;

    private PrometheusServer(string folder, int port)
    {
        _folder = folder;
        Url = new Uri($"http://127.0.0.1:{port}");
        _http = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(5) };
    }

    public Uri Url { get; }

    /// <param name="targets">Per job (central, distributor, client), the host:port of each process to scrape.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyDictionary<string, string[]> targets, string interval = "1s", string hold = "1s")
    {
        var server = new PrometheusServer(Path.Combine("/var/tmp", $"rtd-prometheus-test-{Guid.NewGuid():N}"), CommandRuns.FreePort());
        var file = Path.Combine(Path.GetTempPath(), $"rtd-prometheus-targets-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(targets.Select(t => new { targets = t.Value, labels = new { job = t.Key } })));
        try
        {
            await Repository.ScriptAsync("infra/prometheus/prometheus.sh", "up", "--port", server.Url.Port.ToString(CultureInfo.InvariantCulture),
                "--dir", server._folder, "--targets", file, "--rabbitmq", "none", "--interval", interval, "--for", hold);
        }
        finally
        {
            File.Delete(file);
        }
        return server;
    }

    /// <summary>The alerts pending or firing now (GET /api/v1/alerts).</summary>
    public async Task<List<PrometheusAlert>> AlertsAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>("/api/v1/alerts");
        return [.. body.GetProperty("data").GetProperty("alerts").EnumerateArray().Select(a => new PrometheusAlert(
            a.GetProperty("labels").GetProperty("alertname").GetString()!, a.GetProperty("state").GetString()!,
            a.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString() ?? "")))];
    }

    /// <summary>The value of an instant query's first sample, or null when the query has none.</summary>
    public async Task<double?> QueryAsync(string promql)
    {
        var body = await _http.GetFromJsonAsync<JsonElement>($"/api/v1/query?query={Uri.EscapeDataString(promql)}");
        var result = body.GetProperty("data").GetProperty("result");
        return result.GetArrayLength() == 0 ? null : double.Parse(result[0].GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await Repository.ScriptAsync("infra/prometheus/prometheus.sh", "down", "--dir", _folder);
    }
}
