using System.Globalization;
using System.Text;
using System.Threading.Channels;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>One browser's event stream: a few events at most, shared with every other connection (never copied).</summary>
public sealed class WallboardConnection(int capacity)
{
    internal Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>Fell behind (its buffer was full) or the view reloaded: its next event is a fresh reset. Under the feed's lock.</summary>
    internal bool Behind { get; set; }

    /// <summary>
    /// After a reset (or a resume) of this frame: the frames after it are read from the feed's recent frames, not queued to
    /// this connection, until it has the last; so the time a reset takes to write does not fill its buffer. Under the feed's lock.
    /// </summary>
    internal long? CatchingUpFrom { get; set; }

    /// <summary>Events waiting to be written to this connection.</summary>
    public int Buffered => Queue.Reader.Count;
}

/// <summary>
/// The last hop to the browsers (GET /events): the view's changes are coalesced per row and encoded once into a "frame"
/// every <see cref="WallboardSettings.FrameInterval"/>, the "status" once a second and a "reset" (the whole view) once
/// per <see cref="ResetReuse"/> at most; every connection is handed the same bytes (<see cref="Wallboard"/> writes them
/// to the socket in slices, never copied whole). After a reset a connection reads the frames since it from the last
/// <see cref="ResumeFrames"/> the feed keeps (shared by all), then is queued the next ones: it buffers at most
/// <see cref="WallboardSettings.ConnectionBuffer"/> events, and when an event finds it full, it gets no more until it has
/// read what it holds, and then a reset instead of what it missed. Frames carry an id ("{feed}.{frame}"): a browser that
/// reconnects with <c>Last-Event-ID</c> is sent the frames it missed if the feed still holds them (none from before a
/// snapshot reload), else a reset. At most <see cref="WallboardSettings.MaxConnections"/> connections at once.
/// </summary>
public sealed class WallboardFeed : BackgroundService
{
    /// <summary>How many recent frames are kept for a browser catching up after a reset or resuming after a reconnect.</summary>
    public const int ResumeFrames = 32;

    /// <summary>How long one reset encoding serves the connections that need one (each also gets the frames since it).</summary>
    public static readonly TimeSpan ResetReuse = TimeSpan.FromSeconds(1);

    private static readonly byte[] Wake = [];

    private readonly ClientView _view;
    private readonly ClientSettings _settings;
    private readonly WallboardSettings _wallboard;
    private readonly TimeProvider _clock;
    private readonly ILogger<WallboardFeed> _logger;
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly SemaphoreSlim _resetBuild = new(1, 1);
    private readonly Lock _gate = new();
    // under _gate: the rows changed since the last frame (the latest of each), the connections, the recent frames
    private readonly Dictionary<(string Kind, string Table, string Key), (ViewRow Row, bool Removed)> _pending = [];
    private readonly HashSet<WallboardConnection> _connections = [];
    private readonly Queue<(long Id, byte[] Event)> _recent = new();
    private long _frame;
    private byte[] _status = [];
    private (long Frame, DateTimeOffset At, byte[] Event)? _reset;
    private long _resets;
    private long _fellBehind;
    private long _refused;

    public WallboardFeed(ClientView view, ClientSettings settings, WallboardSettings wallboard, TimeProvider clock, ILogger<WallboardFeed> logger)
    {
        _view = view;
        _settings = settings;
        _wallboard = wallboard;
        _clock = clock;
        _logger = logger;
        view.Changed += OnChanged;
        view.Removed += OnRemoved;
        view.Loaded += OnLoaded;
    }

    public int Connections
    {
        get
        {
            lock (_gate)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>Resets encoded (each is shared by every connection that needs one within <see cref="ResetReuse"/>).</summary>
    public long ResetsEncoded => Interlocked.Read(ref _resets);

    /// <summary>Times a connection's buffer was full (it then gets a reset).</summary>
    public long FellBehind => Interlocked.Read(ref _fellBehind);

    /// <summary>Connections refused at the cap.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>The last frame's number.</summary>
    public long Frame
    {
        get
        {
            lock (_gate)
            {
                return _frame;
            }
        }
    }

    // the view raises its events under its own lock: that lock is always taken before _gate, never after it
    private void OnChanged(ViewRow row) => Pend(row, removed: false);

    private void OnRemoved(ViewRow row) => Pend(row, removed: true);

    private void Pend(ViewRow row, bool removed)
    {
        lock (_gate)
        {
            _pending[(row.Kind, row.Table, row.Key)] = (row, removed);
        }
    }

    /// <summary>A snapshot replaced the view: what is pending and the recent frames are of the old one; every browser gets a reset.</summary>
    private void OnLoaded(long _)
    {
        lock (_gate)
        {
            _pending.Clear();
            _recent.Clear();
            _reset = null;
            _frame++; // a browser at the last frame must not resume across the reload
            foreach (var connection in _connections)
            {
                connection.Behind = true;
                connection.Queue.Writer.TryWrite(Wake);
            }
        }
    }

    /// <summary>
    /// A new event stream, resumed after <paramref name="lastEventId"/> when the feed still holds every frame after it, else
    /// starting with a reset; null when the feed already serves <see cref="WallboardSettings.MaxConnections"/>.
    /// </summary>
    public WallboardConnection? Connect(string? lastEventId)
    {
        lock (_gate)
        {
            if (_connections.Count >= _wallboard.MaxConnections)
            {
                Interlocked.Increment(ref _refused);
                return null;
            }
            var connection = new WallboardConnection(_wallboard.ConnectionBuffer);
            if (_status.Length > 0)
            {
                connection.Queue.Writer.TryWrite(_status);
            }
            connection.Behind = !Resume(connection, lastEventId);
            _connections.Add(connection);
            return connection;
        }
    }

    private bool Resume(WallboardConnection connection, string? lastEventId)
    {
        var parts = lastEventId?.Split('.');
        if (parts is not [var feed, var number] || feed != _id || !long.TryParse(number, CultureInfo.InvariantCulture, out var last) || !Holds(last))
        {
            return false;
        }
        connection.CatchingUpFrom = last;
        return true;
    }

    /// <summary>Whether the feed holds every frame after <paramref name="last"/> (none, when it is the last). Under _gate.</summary>
    private bool Holds(long last) => last == _frame || (last < _frame && _recent.Count > 0 && _recent.Peek().Id <= last + 1);

    public void Disconnect(WallboardConnection connection)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
        }
    }

    /// <summary>The next event to write to <paramref name="connection"/>: a fresh reset if it fell behind, else the oldest it holds.</summary>
    public async ValueTask<byte[]> NextAsync(WallboardConnection connection, CancellationToken ct)
    {
        while (true)
        {
            if (IsBehind(connection))
            {
                return await ResetAsync(connection, ct);
            }
            if (CatchUp(connection, out var frame))
            {
                if (frame is not null)
                {
                    return frame;
                }
                continue; // the frames it needs are gone: a reset
            }
            var next = await connection.Queue.Reader.ReadAsync(ct);
            if (next.Length > 0 && !IsBehind(connection))
            {
                return next;
            }
        }
    }

    /// <summary>
    /// For a connection catching up: true, with the next frame from the recent ones, or with null when that frame is no
    /// longer held (it fell behind); false when it has the last frame, from which on its frames are queued to it.
    /// </summary>
    private bool CatchUp(WallboardConnection connection, out byte[]? frame)
    {
        frame = null;
        lock (_gate)
        {
            if (connection.CatchingUpFrom is not { } last)
            {
                return false;
            }
            if (last >= _frame)
            {
                connection.CatchingUpFrom = null;
                if (connection.Buffered == 0 && _status.Length > 0)
                {
                    connection.Queue.Writer.TryWrite(_status); // the status it was not queued meanwhile
                }
                return false;
            }
            connection.CatchingUpFrom = null;
            foreach (var (id, encoded) in _recent)
            {
                if (id == last + 1)
                {
                    connection.CatchingUpFrom = id;
                    frame = encoded;
                    return true;
                }
            }
            connection.Behind = true;
            Interlocked.Increment(ref _fellBehind);
            return true;
        }
    }

    private bool IsBehind(WallboardConnection connection)
    {
        lock (_gate)
        {
            return connection.Behind;
        }
    }

    /// <summary>
    /// The reset for a connection that starts or fell behind: its buffer is emptied and it takes frames again from the one
    /// after the reset's. One encoding serves every connection that needs one within <see cref="ResetReuse"/> (for its clock),
    /// each also sent the frames since it; a new one when those frames are no longer held or do not fit its buffer.
    /// </summary>
    private async Task<byte[]> ResetAsync(WallboardConnection connection, CancellationToken ct)
    {
        await _resetBuild.WaitAsync(ct);
        try
        {
            byte[]? cached = null;
            IReadOnlyList<ViewRow> rows = [];
            long frame = 0;
            var now = _clock.GetUtcNow();
            // under the view's lock no change comes in: the rows are those of the frames so far plus what is pending, and
            // the frames after `frame` (queued from now on) carry the pending rows again, which is harmless
            _view.Atomically(() =>
            {
                lock (_gate)
                {
                    connection.Behind = false;
                    while (connection.Queue.Reader.TryRead(out _))
                    {
                    }
                    if (_status.Length > 0)
                    {
                        connection.Queue.Writer.TryWrite(_status);
                    }
                    frame = _frame;
                    connection.CatchingUpFrom = frame;
                    // the last reset, if under a second old, followed by the frames since it
                    if (_reset is { } reset && now - reset.At < ResetReuse && Holds(reset.Frame))
                    {
                        connection.CatchingUpFrom = reset.Frame;
                        cached = reset.Event;
                        return;
                    }
                }
                rows = _view.Rows();
            });
            if (cached is not null)
            {
                return cached;
            }
            var encoded = Event("reset", new
            {
                _settings.Site,
                _settings.Workstation,
                now,
                settings = _wallboard,
                _view.SnapshotSequence,
                _view.IsLoading,
                rows,
            }, frame);
            Interlocked.Increment(ref _resets);
            lock (_gate)
            {
                _reset = (frame, now, encoded); // a reload since has cleared the frames after it: Holds then refuses it
            }
            return encoded;
        }
        finally
        {
            _resetBuild.Release();
        }
    }

    /// <summary>Sends what changed since the last frame, as one frame: the latest value of each changed row, and the rows removed.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return;
            }
            var id = ++_frame;
            var frame = Event("frame", new
            {
                rows = _pending.Values.Where(p => !p.Removed).Select(p => p.Row),
                removed = _pending.Values.Where(p => p.Removed).Select(p => p.Row),
            }, id);
            _pending.Clear();
            _recent.Enqueue((id, frame));
            while (_recent.Count > ResumeFrames)
            {
                _recent.Dequeue();
            }
            Broadcast(frame);
        }
    }

    /// <summary>Sends the view's status (the host's clock, sequences, each table's age and staleness) to every connection.</summary>
    public void Status()
    {
        var now = _clock.GetUtcNow();
        var status = Event("status", new
        {
            now,
            _view.LastSiteSequence,
            _view.SnapshotSequence,
            _view.IsLoading,
            _view.Snapshots,
            _view.Gaps,
            _view.CenterUnreachableSince,
            tables = _view.Tables(now, _settings.StaleAfter),
        });
        lock (_gate)
        {
            _status = status;
            Broadcast(status);
        }
    }

    /// <summary>Queues an event to every connection but those catching up (they read the frames from the recent ones, and the status when they have caught up).</summary>
    private void Broadcast(byte[] encoded)
    {
        foreach (var connection in _connections)
        {
            if (!connection.Behind && connection.CatchingUpFrom is null && !connection.Queue.Writer.TryWrite(encoded))
            {
                connection.Behind = true;
                Interlocked.Increment(ref _fellBehind);
            }
        }
    }

    private byte[] Event(string name, object data, long? id = null)
    {
        var json = Json.Serialize(data);
        var head = Encoding.UTF8.GetBytes(id is { } frame ? $"id: {_id}.{frame}\nevent: {name}\ndata: " : $"event: {name}\ndata: ");
        var encoded = new byte[head.Length + json.Length + 2];
        head.CopyTo(encoded, 0);
        json.CopyTo(encoded, head.Length);
        encoded[^2] = (byte)'\n';
        encoded[^1] = (byte)'\n';
        return encoded;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.LogInformation("Wallboard feed {Feed}: a frame every {FrameInterval}, {ConnectionBuffer} events buffered per connection, at most {MaxConnections} connections",
            _id, _wallboard.FrameInterval, _wallboard.ConnectionBuffer, _wallboard.MaxConnections);
        try
        {
            await Task.WhenAll(Every(_wallboard.FrameInterval, Flush, stoppingToken), Every(TimeSpan.FromSeconds(1), Status, stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task Every(TimeSpan interval, Action action, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(interval, _clock);
        while (await timer.WaitForNextTickAsync(ct))
        {
            action();
        }
    }

    public override void Dispose()
    {
        _view.Changed -= OnChanged;
        _view.Removed -= OnRemoved;
        _view.Loaded -= OnLoaded;
        _resetBuild.Dispose();
        base.Dispose();
    }
}
