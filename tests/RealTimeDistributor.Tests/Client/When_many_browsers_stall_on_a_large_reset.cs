using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.Tests.Client;

/// <summary>Alone: the test measures this process's managed heap, which tests running beside it would move.</summary>
[CollectionDefinition(nameof(MeasuresTheHeap), DisableParallelization = true)]
public sealed class MeasuresTheHeap;

/// <summary>
/// GET /events over real HTTP (Kestrel on loopback): browsers that take the response headers and never read the body must
/// cost the client a small, bounded amount each, not a copy of the reset (the whole view, megabytes at a large site)
/// held in each connection's output buffer. The feed encodes the reset once; the stream hands it to Kestrel in slices,
/// each once the write before it has completed, with Kestrel's output buffer per connection at the client's size
/// (<see cref="Wallboard.WriteBuffer"/>, set by AddWallboard): at most that buffer and a slice per connection.
/// </summary>
[Collection(nameof(MeasuresTheHeap))]
public sealed class When_many_browsers_stall_on_a_large_reset(ITestOutputHelper output)
{
    private const int Rows = 12_000;
    private const int StalledBrowsers = 20;

    [Fact]
    public async Task Should_hold_a_slice_of_the_shared_reset_per_connection_not_a_copy()
    {
        var view = new ClientView();
        view.Load(1, Enumerable.Range(1, Rows).Select(i => new ViewRow("realtime", "agent", i.ToString(CultureInfo.InvariantCulture), 1,
            Json.ToElement(new { state = "talking", note = new string('x', 300) }), DateTimeOffset.UnixEpoch, 1)));
        var (started, port) = await WallboardHost.StartAsync(view);
        await using var app = started;
        var feed = app.Services.GetRequiredService<WallboardFeed>();

        // one browser reads its reset whole: the reset is encoded and its size known
        using var http = new HttpClient();
        var reset = await WallboardHost.ReadFirstEventAsync(http, port);
        Assert.StartsWith("id: ", reset, StringComparison.Ordinal);
        Assert.Contains("event: reset", reset, StringComparison.Ordinal);
        var resetBytes = Encoding.UTF8.GetByteCount(reset);
        Assert.True(resetBytes > 4_000_000, $"the reset is {resetBytes} bytes: too small to tell a copy per connection from a slice");

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var encodedBefore = feed.ResetsEncoded;
        var stalled = new List<Socket>();
        try
        {
            for (var i = 0; i < StalledBrowsers; i++)
            {
                var socket = await ConnectStalledAsync(port);
                stalled.Add(socket);
                await ReadHeadersAsync(socket); // the write of its reset has begun; from now on it reads nothing
            }
            var after = GC.GetTotalMemory(forceFullCollection: true);
            // a reset is encoded once a second at most and shared: on a loaded machine the connects can span more than a
            // second and take a newer encoding, held by the connections still writing it; those are shared, not per connection
            var sharedEncodings = (feed.ResetsEncoded - encodedBefore) * (long)resetBytes;
            var perConnection = (after - before - sharedEncodings) / StalledBrowsers;
            output.WriteLine($"reset {resetBytes:N0} bytes; managed heap {before:N0} -> {after:N0} bytes with {StalledBrowsers} stalled browsers, " +
                $"{feed.ResetsEncoded - encodedBefore} newer reset encodings shared ({sharedEncodings:N0} bytes): {perConnection:N0} bytes each");
            Assert.InRange(feed.Connections, StalledBrowsers, StalledBrowsers + 1); // the reader's may not be closed yet
            Assert.True(perConnection < resetBytes / 8,
                $"each stalled browser costs {perConnection:N0} bytes of managed heap: a copy of the {resetBytes:N0}-byte reset, not a slice of it");
        }
        finally
        {
            foreach (var socket in stalled)
            {
                socket.Dispose();
            }
            await app.StopAsync();
        }
    }

    /// <summary>A browser with a 4 KB receive window that will stop reading: the client's writes back up at once.</summary>
    private static async Task<Socket> ConnectStalledAsync(int port)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"));
        return socket;
    }

    private static async Task ReadHeadersAsync(Socket socket) => await ReadUntilAsync(socket, "\r\n\r\n", new StringBuilder());

    private static async Task ReadUntilAsync(Socket socket, string end, StringBuilder received)
    {
        while (!received.ToString().Contains(end, StringComparison.Ordinal))
        {
            received.Append(await ReceiveAsync(socket));
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return read == 0 ? throw new IOException("the client closed the stream") : Encoding.UTF8.GetString(buffer, 0, read);
    }
}
