using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Testing;

/// <summary>
/// The client's wallboard over real HTTP (Kestrel on a free loopback port), serving a view without a broker: the fast
/// tests of GET /events and the <c>wallboard-write</c> benchmark.
/// </summary>
public static class WallboardHost
{
    /// <summary>The wallboard's host, built but neither mapped nor started; <paramref name="services"/> may override what AddWallboard set.</summary>
    public static WebApplication Build(ClientView view, Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateBuilder(); // not the slim one: the wallboard's routes use a regex constraint
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(view);
        builder.Services.AddSingleton(new ClientSettings("site-a", "ws1", [Topology.AllKeys]));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddWallboard(new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build());
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>The wallboard's routes started on a free loopback port.</summary>
    public static async Task<(WebApplication App, int Port)> StartAsync(ClientView view, Dictionary<string, string?>? settings = null)
    {
        var app = Build(view, settings);
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

    /// <summary>A browser's connection with a 4 KB receive window (one that will stop reading: the client's writes back up at once).</summary>
    public static async ValueTask<Stream> SmallReceiveBufferAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(context.DnsEndPoint, ct);
        return new NetworkStream(socket, ownsSocket: true);
    }
}
