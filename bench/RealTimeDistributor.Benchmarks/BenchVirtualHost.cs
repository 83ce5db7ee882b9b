using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace RealTimeDistributor.Benchmarks;

/// <summary>A virtual host of the benchmark's own (rtd-bench-{random}), created through the management API and deleted at the end.</summary>
public sealed class BenchVirtualHost : IAsyncDisposable
{
    private readonly HttpClient _http;

    private BenchVirtualHost(HttpClient http, string name) => (_http, Name) = (http, name);

    public string Name { get; }

    public static async Task<BenchVirtualHost> CreateAsync(CancellationToken cancellationToken)
    {
        var http = new HttpClient { BaseAddress = BenchSettings.ManagementApi, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{BenchSettings.AdminUser}:{BenchSettings.AdminPassword}")));
        var vhost = new BenchVirtualHost(http, $"rtd-bench-{Guid.NewGuid().ToString("N")[..8]}");
        var escaped = Uri.EscapeDataString(vhost.Name);
        (await http.PutAsync($"vhosts/{escaped}", null, cancellationToken)).EnsureSuccessStatusCode();
        foreach (var user in new[] { BenchSettings.Broker.Username, BenchSettings.AdminUser }.Distinct())
        {
            (await http.PutAsJsonAsync($"permissions/{escaped}/{Uri.EscapeDataString(user)}", new { configure = ".*", write = ".*", read = ".*" },
                cancellationToken)).EnsureSuccessStatusCode();
        }
        return vhost;
    }

    public async ValueTask DisposeAsync()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _http.DeleteAsync($"vhosts/{Uri.EscapeDataString(Name)}", cancel.Token);
        _http.Dispose();
    }
}
