using System.Net;
using System.Net.Sockets;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>
/// A loopback TCP proxy in front of a real server, which a test can cut (drop every connection and refuse new ones) and
/// restore: a database outage for one process, without stopping the server every other test and process shares.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly List<TcpClient> _open = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _cut;

    public TcpProxy(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>A proxy in front of the tests' PostgreSQL server.</summary>
    public static TcpProxy ToPostgres() =>
        new(TestSettings.PostgresHost, int.Parse(TestSettings.PostgresPort, System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A connection string to <paramref name="database"/> through this proxy (made by <see cref="ToPostgres"/>), quick to give up while it is cut.</summary>
    public string ConnectionString(string database) =>
        TestSettings.ConnectionString(database).Replace($"Port={TestSettings.PostgresPort}", $"Port={Port}", StringComparison.Ordinal)
        + ";Timeout=3;Command Timeout=5;Pooling=false";

    public void Cut()
    {
        _cut = true;
        lock (_open)
        {
            foreach (var client in _open)
            {
                client.Dispose();
            }
            _open.Clear();
        }
    }

    public void Restore() => _cut = false;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            if (_cut)
            {
                inbound.Dispose();
                continue;
            }
            _ = PipeAsync(inbound);
        }
    }

    private async Task PipeAsync(TcpClient inbound)
    {
        var outbound = new TcpClient();
        try
        {
            await outbound.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            lock (_open)
            {
                _open.Add(inbound);
                _open.Add(outbound);
            }
            using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            await Task.WhenAny(
                inbound.GetStream().CopyToAsync(outbound.GetStream(), done.Token),
                outbound.GetStream().CopyToAsync(inbound.GetStream(), done.Token));
            await done.CancelAsync();
        }
        catch (Exception exception) when (exception is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
        finally
        {
            inbound.Dispose();
            outbound.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        await _accepting;
        _stop.Dispose();
    }
}
