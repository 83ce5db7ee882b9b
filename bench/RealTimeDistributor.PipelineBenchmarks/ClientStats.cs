using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>The fields of a client process's <c>GET /stats</c> that the benchmarks restarting its broker follow (<c>goal</c>, <c>restart-clients</c>).</summary>
internal sealed record ClientStats(long LastSiteSequence, long Snapshots, long Gaps, long RealTimeRows)
{
    /// <summary>The client process's stats at <paramref name="port"/>; null while it does not answer (not up yet, or no answer in 5 s).</summary>
    public static async Task<ClientStats?> ReadAsync(HttpClient http, int port)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            return await http.GetFromJsonAsync<ClientStats>($"http://127.0.0.1:{port}/stats", Json.Options, timeout.Token);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }
}
