using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

/// <summary>The client's wallboard routes over real HTTP (Kestrel on a free loopback port), serving a view.</summary>
internal static class WallboardHost
{
    public static async Task<(WebApplication App, int Port)> StartAsync(ClientView view, Dictionary<string, string?>? settings = null)
    {
        var builder = WebApplication.CreateBuilder(); // not the slim one: the wallboard's routes use a regex constraint
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(view);
        builder.Services.AddSingleton(new ClientSettings("site-a", "ws1", [Topology.AllKeys]));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddWallboard(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        var app = builder.Build();
        app.MapWallboard();
        await app.StartAsync();
        return (app, new Uri(app.Urls.Single()).Port);
    }

    /// <summary>The first event of GET /events<paramref name="query"/>, its lines as sent.</summary>
    public static async Task<string> ReadFirstEventAsync(HttpClient http, int port, string query = "")
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/events{query}"), HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token), Encoding.UTF8);
        var lines = new StringBuilder();
        while (await reader.ReadLineAsync(timeout.Token) is { Length: > 0 } line)
        {
            lines.Append(line).Append('\n');
        }
        return lines.Append('\n').ToString();
    }
}
