using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace RealTimeDistributor.Testing;

/// <summary>How a cut link behaves.</summary>
public enum CutMode
{
    /// <summary>Every open connection is reset and new ones are refused (a router that answers: fast to notice).</summary>
    Reset,

    /// <summary>Open connections stay open but carry nothing and new ones get no answer (a link gone dark: noticed only
    /// by heartbeats and timeouts).</summary>
    Blackhole,
}

/// <summary>
/// A TCP proxy that stands for a WAN link in tests, benchmarks, the chaos runner and the demo: it forwards every byte
/// from <see cref="Port"/> to the target, and can be cut (reset or blackhole), restored, slowed (a one-way latency
/// that delays without limiting throughput) and made flaky (each connection reset after a random lifetime).
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Link> _links = [];
    private readonly Random _random;
    private Task _accepting = Task.CompletedTask;
    private TaskCompletionSource _light = NewLight(lit: true);
    private CutMode? _cut;
    private long _connections;
    private long _bytes;
    private long _resets;

    public FaultProxy(IPEndPoint listen, string targetHost, int targetPort, int seed = 1)
    {
        _listener = new TcpListener(listen);
        _targetHost = targetHost;
        _targetPort = targetPort;
        _random = new Random(seed);
    }

    /// <summary>The port the proxy listens on (the one asked for, or the one the system gave for port 0).</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public string Target => $"{_targetHost}:{_targetPort}";

    /// <summary>Added to every chunk in each direction.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>When set, each connection is reset after a random lifetime between this and twice this.</summary>
    public TimeSpan? ResetAfter { get; set; }

    public CutMode? CurrentCut => _cut;

    public FaultProxyStatus Status
    {
        get
        {
            lock (_gate)
            {
                return new FaultProxyStatus(Port, Target, _cut?.ToString().ToLowerInvariant() ?? "up", (int)Latency.TotalMilliseconds,
                    ResetAfter is { } r ? (int)r.TotalSeconds : null, _links.Count, Interlocked.Read(ref _connections),
                    Interlocked.Read(ref _bytes), Interlocked.Read(ref _resets));
            }
        }
    }

    public void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync(_stopping.Token);
    }

    /// <summary>Cuts the link: <see cref="CutMode.Reset"/> resets every open connection, <see cref="CutMode.Blackhole"/>
    /// freezes them; either way nothing new gets through until <see cref="Restore"/>.</summary>
    public void Cut(CutMode mode = CutMode.Reset)
    {
        Link[] open;
        lock (_gate)
        {
            _cut = mode;
            if (_light.Task.IsCompleted)
            {
                _light = NewLight(lit: false);
            }
            open = mode == CutMode.Reset ? [.. _links] : [];
        }
        Count(open);
    }

    /// <summary>Lets bytes through again. A blackholed connection resumes where it stopped (nothing it carried is
    /// lost: TCP holds it), as a link that comes back before either end gave up.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            _cut = null;
            _light.TrySetResult();
        }
    }

    /// <summary>Resets every open connection once, without cutting the link (a flap).</summary>
    public void ResetAll()
    {
        Link[] open;
        lock (_gate)
        {
            open = [.. _links];
        }
        Count(open);
    }

    private void Count(Link[] reset)
    {
        foreach (var link in reset)
        {
            link.Reset();
        }
        Interlocked.Add(ref _resets, reset.Length);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        lock (_gate)
        {
            foreach (var link in _links)
            {
                link.Reset();
            }
        }
        Restore();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }
        _stopping.Dispose();
    }

    private static TaskCompletionSource NewLight(bool lit)
    {
        var light = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (lit)
        {
            light.SetResult();
        }
        return light;
    }

    private Task WhenLit(CancellationToken stopping)
    {
        lock (_gate)
        {
            return _light.Task.WaitAsync(stopping);
        }
    }

    private async Task AcceptAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient inbound;
            try
            {
                inbound = await _listener.AcceptTcpClientAsync(stopping);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            if (_cut == CutMode.Reset)
            {
                inbound.Client.LingerState = new LingerOption(true, 0);
                inbound.Dispose();
                continue;
            }
            _ = RunLinkAsync(inbound, stopping);
        }
    }

    private async Task RunLinkAsync(TcpClient inbound, CancellationToken stopping)
    {
        Interlocked.Increment(ref _connections);
        var outbound = new TcpClient { NoDelay = true };
        inbound.NoDelay = true;
        var link = new Link(inbound, outbound, stopping);
        lock (_gate)
        {
            _links.Add(link);
        }
        try
        {
            await WhenLit(link.Token);
            await outbound.ConnectAsync(_targetHost, _targetPort, link.Token);
            if (ResetAfter is { } after)
            {
                double factor;
                lock (_gate)
                {
                    factor = 1 + _random.NextDouble();
                }
                _ = FlapAsync(link, after * factor);
            }
            await Task.WhenAll(
                PumpAsync(inbound.GetStream(), outbound.GetStream(), link),
                PumpAsync(outbound.GetStream(), inbound.GetStream(), link));
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_gate)
            {
                _links.Remove(link);
            }
            link.Reset();
        }
    }

    private async Task FlapAsync(Link link, TimeSpan lifetime)
    {
        try
        {
            await Task.Delay(lifetime, link.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        Count([link]);
    }

    /// <summary>One direction: a reader that stamps each chunk with the time it may leave, and a writer that waits for
    /// that time and for the link to be lit, so latency delays bytes without limiting throughput.</summary>
    private async Task PumpAsync(NetworkStream from, NetworkStream to, Link link)
    {
        var chunks = Channel.CreateBounded<(byte[] Data, long Due)>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
        var writing = Task.Run(async () =>
        {
            try
            {
                await foreach (var (data, due) in chunks.Reader.ReadAllAsync(link.Token))
                {
                    var wait = TimeSpan.FromTicks(due - Environment.TickCount64 * TimeSpan.TicksPerMillisecond);
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, link.Token);
                    }
                    await WhenLit(link.Token);
                    await to.WriteAsync(data, link.Token);
                    Interlocked.Add(ref _bytes, data.Length);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                link.Reset(); // the side it writes to is gone: so is the link
            }
        }, link.Token);
        try
        {
            var buffer = new byte[64 * 1024];
            while (true)
            {
                var read = await from.ReadAsync(buffer, link.Token);
                if (read == 0)
                {
                    break;
                }
                await WhenLit(link.Token);
                var due = Environment.TickCount64 * TimeSpan.TicksPerMillisecond + Latency.Ticks;
                await chunks.Writer.WriteAsync((buffer[..read], due), link.Token);
            }
            chunks.Writer.TryComplete();
            await writing; // a side that closed cleanly: what it sent still goes through
        }
        finally
        {
            chunks.Writer.TryComplete();
            // however this side ended (closed, reset, a write that failed), the other side ends too: a process killed with
            // unread data resets its connection, and the far end must see that at once, not at its next heartbeat (a broker
            // kept a killed distributor's consumer active on a single-active-consumer queue for a minute)
            link.Reset();
        }
    }

    private sealed class Link(TcpClient inbound, TcpClient outbound, CancellationToken stopping)
    {
        private readonly CancellationTokenSource _closed = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private int _reset;

        public CancellationToken Token => _closed.Token;

        /// <summary>Closes both sides with a TCP reset (linger 0), as a dropped link looks to either end.</summary>
        public void Reset()
        {
            if (Interlocked.Exchange(ref _reset, 1) == 1)
            {
                return;
            }
            foreach (var side in new[] { inbound, outbound })
            {
                try
                {
                    side.Client.LingerState = new LingerOption(true, 0);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                }
                side.Dispose();
            }
            _closed.Cancel();
        }
    }
}

public sealed record FaultProxyStatus(int Port, string Target, string State, int LatencyMs, int? ResetAfterSeconds, int Open,
    long Connections, long Bytes, long Resets);
