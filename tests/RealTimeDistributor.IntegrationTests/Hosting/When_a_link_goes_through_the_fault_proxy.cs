using System.Net;
using System.Net.Sockets;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>The WAN stand-in the site and chaos tests cut: real sockets on loopback to a small echo server.</summary>
public sealed class When_a_link_goes_through_the_fault_proxy : IAsyncLifetime
{
    private readonly TcpListener _echo = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private FaultProxy _proxy = null!;

    public Task InitializeAsync()
    {
        _echo.Start();
        _ = EchoAsync();
        _proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), "127.0.0.1", ((IPEndPoint)_echo.LocalEndpoint).Port);
        _proxy.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _echo.Stop();
        await _proxy.DisposeAsync();
    }

    [Fact]
    public async Task Should_forward_bytes_both_ways()
    {
        using var client = await ConnectAsync();
        Assert.Equal("hello", await RoundTripAsync(client, "hello"));
    }

    [Fact]
    public async Task Should_reset_open_connections_and_refuse_new_ones_when_cut_until_restored()
    {
        using var open = await ConnectAsync();
        Assert.Equal("before", await RoundTripAsync(open, "before"));

        _proxy.Cut(CutMode.Reset);

        // the open connection ends: a read returns 0 or throws a reset
        var buffer = new byte[16];
        var read = await ReadOrResetAsync(open.GetStream(), buffer);
        Assert.True(read <= 0, $"the connection still carried {read} bytes after the cut");
        Assert.True(await IsRefusedAsync(), "a connection made during the cut was not ended");

        _proxy.Restore();
        using var after = await ConnectAsync();
        Assert.Equal("after", await RoundTripAsync(after, "after"));
        Assert.True(_proxy.Status.Resets >= 1);
    }

    [Fact]
    public async Task Should_hold_bytes_while_blackholed_and_deliver_them_on_restore()
    {
        using var client = await ConnectAsync();
        Assert.Equal("one", await RoundTripAsync(client, "one"));

        _proxy.Cut(CutMode.Blackhole);
        var stream = client.GetStream();
        await stream.WriteAsync("two"u8.ToArray());
        var buffer = new byte[16];
        var pending = stream.ReadAsync(buffer).AsTask();
        // nothing signals an absence: give the echo half a second (a loopback round trip takes well under a
        // millisecond), long enough that a proxy which forwarded the bytes fails here
        await Task.WhenAny(pending, Task.Delay(TimeSpan.FromMilliseconds(500)));
        Assert.Equal("blackhole", _proxy.Status.State);
        Assert.False(pending.IsCompleted, "bytes crossed a blackholed link");

        _proxy.Restore();
        var read = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("two", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
    }

    private async Task<TcpClient> ConnectAsync()
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _proxy.Port);
        return client;
    }

    /// <summary>
    /// A connection made now fails to connect, or ends before any byte comes back (the proxy may already have reset it
    /// when the knock is written: a broken pipe).
    /// </summary>
    private async Task<bool> IsRefusedAsync()
    {
        try
        {
            using var client = await ConnectAsync();
            await client.GetStream().WriteAsync("knock"u8.ToArray());
            return await ReadOrResetAsync(client.GetStream(), new byte[16]) <= 0;
        }
        catch (Exception exception) when (exception is SocketException or IOException { InnerException: SocketException })
        {
            return true;
        }
    }

    private static async Task<string> RoundTripAsync(TcpClient client, string text)
    {
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(text));
        var buffer = new byte[64];
        var total = 0;
        while (total < text.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.True(read > 0, "the link closed");
            total += read;
        }
        return System.Text.Encoding.ASCII.GetString(buffer, 0, total);
    }

    private static async Task<int> ReadOrResetAsync(NetworkStream stream, byte[] buffer)
    {
        try
        {
            return await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            return -1;
        }
    }

    private async Task EchoAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient connection;
            try
            {
                connection = await _echo.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _ = Task.Run(async () =>
            {
                using (connection)
                {
                    var buffer = new byte[1024];
                    try
                    {
                        int read;
                        while ((read = await connection.GetStream().ReadAsync(buffer, _stop.Token)) > 0)
                        {
                            await connection.GetStream().WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                        }
                    }
                    catch (Exception e) when (e is OperationCanceledException or IOException)
                    {
                    }
                }
            });
        }
    }
}
