using System.Net;
using System.Net.Sockets;
using System.Text;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>With Seq:ServerUrl set, a host posts structured events (CLEF) to it; a small HTTP listener stands in for Seq.</summary>
public sealed class When_logs_are_sent_to_seq
{
    [Fact]
    public async Task Should_post_events_with_the_site_as_a_property()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        // keep answering until the end of the test: the sink flushes again when the host stops
        _ = ServeAsync(listener, body =>
        {
            if (body.Contains("\"Site\":", StringComparison.Ordinal))
            {
                received.TrySetResult(body);
            }
        });

        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("seq");
        await system.StartDistributorAsync(site, extra: new()
        {
            ["Seq:ServerUrl"] = $"http://127.0.0.1:{port}",
            ["Serilog:MinimumLevel:Default"] = "Information",
        });

        var body = await received.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains($"\"Site\":\"{site}\"", body);
        Assert.Contains("\"Process\":\"distributor\"", body);
    }

    private static async Task ServeAsync(HttpListener listener, Action<string> onEvents)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var path = context.Request.Url!.AbsolutePath;
            context.Response.StatusCode = 201;
            context.Response.Close();
            if (path == "/api/events/raw")
            {
                onEvents(body);
            }
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
