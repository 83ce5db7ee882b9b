using System.Globalization;
using System.Text;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// The last hop to the browsers (GET /events). A connection asks for a scope (<see cref="WallboardScope"/>: the page's
/// groups and team, or the whole site); connections of the same scope share one <see cref="WallboardScopeStream"/>, at
/// most <see cref="WallboardSettings.MaxScopes"/> of them (kept, with the directory their members are resolved from, by
/// <see cref="WallboardScopes"/>, under this feed's lock). The view's changes are coalesced per row and, every
/// <see cref="WallboardSettings.FrameInterval"/>, each changed row is encoded once (a call type or service row once more,
/// cut to the columns the page draws, for the scopes: <see cref="ScopeRule.ForScope"/>, and sent them only when one of
/// those columns changed: <see cref="WallboardScopes.SummariesChanged"/>) and each scope is sent a "frame" of the rows it holds
/// (<see cref="ScopeRule"/>; a row that left the scope goes as removed); the "status" once a second to
/// every connection; a "reset" (the scope's rows of the view) once per <see cref="ResetReuse"/> at most per scope. Every
/// connection of a scope is handed the same bytes (<see cref="Wallboard"/> writes them to the socket in slices, never
/// copied whole). After a reset a connection reads the frames since it from the last <see cref="ResumeFrames"/> its
/// scope keeps, then is queued the next ones: it buffers at most <see cref="WallboardSettings.ConnectionBuffer"/> events,
/// and when an event finds it full, it gets no more until it has read what it holds, and then a reset instead of what it
/// missed. Frames carry an id ("{feed}.{stream}.{frame}"): a browser that reconnects with <c>Last-Event-ID</c> is sent
/// the frames it missed if its scope's stream still holds them (none from before a snapshot reload or a change of the
/// scope's members), else a reset. A scope's members follow the configuration (<see cref="WallboardDirectory"/>): when
/// they change (an agent joins the team), the scope's connections get a fresh reset. At most
/// <see cref="WallboardSettings.MaxConnections"/> connections at once.
/// </summary>
public sealed class WallboardFeed : BackgroundService
{
    /// <summary>How many recent frames each scope keeps for a browser catching up after a reset or resuming after a reconnect.</summary>
    public const int ResumeFrames = 32;

    /// <summary>How long one reset encoding serves the connections of its scope that need one (each also gets the frames since it).</summary>
    public static readonly TimeSpan ResetReuse = TimeSpan.FromSeconds(1);

    /// <summary>How long a scope without connections is kept (for a browser that reconnects to resume) before it is dropped.</summary>
    public static readonly TimeSpan IdleScopeLifetime = TimeSpan.FromMinutes(1);

    /// <summary>Queued to a connection that is to get a reset, to wake its writer (never written).</summary>
    internal static readonly byte[] Wake = [];

    private readonly ClientView _view;
    private readonly ClientSettings _settings;
    private readonly WallboardSettings _wallboard;
    private readonly TimeProvider _clock;
    private readonly ILogger<WallboardFeed> _logger;
    private readonly string _id = Guid.NewGuid().ToString("N")[..8];
    private readonly SemaphoreSlim _resetBuild = new(1, 1);
    private readonly Lock _gate = new();
    // under _gate: the rows changed since the last frame (the latest of each, and the agent a membership row named before
    // the first change), the connections, the scopes (their streams, the directory of teams and members)
    private readonly Dictionary<(string Kind, string Table, string Key), PendingRow> _pending = [];
    private readonly HashSet<WallboardConnection> _connections = [];
    private readonly WallboardScopes _scopes;
    private long _generation; // moves with every frame and reload: the view's rows of one generation serve every reset of it
    private (long Generation, IReadOnlyList<ViewRow> Rows)? _rows;
    private byte[] _status = [];
    private long _resets;
    private long _resetBytes;
    private long _fellBehind;
    private long _refused;

    public WallboardFeed(ClientView view, ClientSettings settings, WallboardSettings wallboard, TimeProvider clock, ILogger<WallboardFeed> logger)
    {
        _view = view;
        _settings = settings;
        _wallboard = wallboard;
        _clock = clock;
        _logger = logger;
        _scopes = new WallboardScopes(wallboard.MaxScopes);
        view.Atomically(() =>
        {
            _scopes.Load(view.Rows());
            view.Changed += OnChanged;
            view.Removed += OnRemoved;
            view.Loaded += OnLoaded;
        });
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

    /// <summary>The scopes served (with a connection, or idle for less than <see cref="IdleScopeLifetime"/>).</summary>
    public int Scopes
    {
        get
        {
            lock (_gate)
            {
                return _scopes.Count;
            }
        }
    }

    /// <summary>Resets encoded (each is shared by every connection of its scope that needs one within <see cref="ResetReuse"/>).</summary>
    public long ResetsEncoded => Interlocked.Read(ref _resets);

    /// <summary>The bytes of the resets encoded.</summary>
    public long ResetBytes => Interlocked.Read(ref _resetBytes);

    /// <summary>Times a connection's buffer was full (it then gets a reset).</summary>
    public long FellBehind => Interlocked.Read(ref _fellBehind);

    /// <summary>Connections refused at the cap of connections or of scopes.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Times a scope's members changed (its connections then get a reset).</summary>
    public long ScopeChanges
    {
        get
        {
            lock (_gate)
            {
                return _scopes.MembersChanged;
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
            var before = _scopes.Apply(row, removed);
            var key = (row.Kind, row.Table, row.Key);
            _pending[key] = new PendingRow(row, removed, _pending.TryGetValue(key, out var held) ? held.Before : before);
        }
    }

    /// <summary>A snapshot replaced the view: what is pending and the recent frames are of the old one; every browser gets a reset.</summary>
    private void OnLoaded(long _)
    {
        var rows = _view.Rows(); // raised under the view's lock: the rows are those loaded
        lock (_gate)
        {
            _pending.Clear();
            _generation++;
            _rows = null;
            _scopes.Load(rows);
        }
    }

    /// <summary>A new event stream of the whole site (<see cref="Connect(string?, WallboardScope, out string?)"/>).</summary>
    public WallboardConnection? Connect(string? lastEventId) => Connect(lastEventId, WallboardScope.WholeSite, out _);

    /// <summary>
    /// A new event stream of <paramref name="scope"/>, resumed after <paramref name="lastEventId"/> when its scope's stream
    /// still holds every frame after it, else starting with a reset; null, with the reason, when the feed already serves
    /// <see cref="WallboardSettings.MaxConnections"/> connections, or <see cref="WallboardSettings.MaxScopes"/> scopes with
    /// a connection and this is another.
    /// </summary>
    public WallboardConnection? Connect(string? lastEventId, WallboardScope scope, out string? refused)
    {
        lock (_gate)
        {
            var stream = _connections.Count < _wallboard.MaxConnections ? _scopes.StreamOf(scope) : null;
            if (stream is null)
            {
                refused = _connections.Count >= _wallboard.MaxConnections
                    ? $"This client already serves {_wallboard.MaxConnections} wallboard event streams (Client:Wallboard:MaxConnections)"
                    : $"This client already serves {_wallboard.MaxScopes} distinct wallboard scopes, each with a browser (Client:Wallboard:MaxScopes)";
                Interlocked.Increment(ref _refused);
                return null;
            }
            refused = null;
            var connection = new WallboardConnection(_wallboard.ConnectionBuffer, stream);
            if (_status.Length > 0)
            {
                connection.Queue.Writer.TryWrite(_status);
            }
            connection.Behind = !Resume(connection, lastEventId);
            _connections.Add(connection);
            stream.Connections.Add(connection);
            return connection;
        }
    }

    private bool Resume(WallboardConnection connection, string? lastEventId)
    {
        var parts = lastEventId?.Split('.');
        var stream = connection.Stream;
        if (parts is not [var feed, var number, var frame] || feed != _id || number != stream.Number.ToString(CultureInfo.InvariantCulture)
            || !long.TryParse(frame, CultureInfo.InvariantCulture, out var last) || !stream.Holds(last))
        {
            return false;
        }
        connection.CatchingUpFrom = last;
        return true;
    }

    public void Disconnect(WallboardConnection connection)
    {
        lock (_gate)
        {
            _connections.Remove(connection);
            connection.Stream.Connections.Remove(connection);
            if (connection.Stream.Connections.Count == 0)
            {
                connection.Stream.IdleSince = _clock.GetUtcNow();
            }
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
    /// For a connection catching up: true, with the next frame from its scope's recent ones, or with null when that frame
    /// is no longer held (it fell behind); false when it has the last frame, from which on its frames are queued to it.
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
            var stream = connection.Stream;
            if (last >= stream.Frame)
            {
                connection.CatchingUpFrom = null;
                if (connection.Buffered == 0 && _status.Length > 0)
                {
                    connection.Queue.Writer.TryWrite(_status); // the status it was not queued meanwhile
                }
                return false;
            }
            connection.CatchingUpFrom = null;
            foreach (var (id, encoded) in stream.Recent)
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
    /// after the reset's. One encoding serves every connection of the scope that needs one within <see cref="ResetReuse"/>
    /// (for its clock), each also sent the frames since it; a new one when those frames are no longer held or do not fit
    /// its buffer. Before it, the scope's members are resolved again: when they changed, every connection of the scope
    /// gets a reset.
    /// </summary>
    private async Task<byte[]> ResetAsync(WallboardConnection connection, CancellationToken ct)
    {
        await _resetBuild.WaitAsync(ct);
        try
        {
            byte[]? cached = null;
            IReadOnlyList<ViewRow> rows = [];
            ScopeMembers? members = null;
            long frame = 0;
            var stream = connection.Stream;
            var now = _clock.GetUtcNow();
            // under the view's lock no change comes in: the rows are those of the frames so far plus what is pending, and
            // the frames after `frame` (queued from now on) carry the pending rows again, which is harmless
            _view.Atomically(() =>
            {
                lock (_gate)
                {
                    // every scope was resolved at the directory's version the last frame saw (or when it was made since)
                    _scopes.FollowConfiguration(stream);
                    connection.Behind = false;
                    while (connection.Queue.Reader.TryRead(out _))
                    {
                    }
                    if (_status.Length > 0)
                    {
                        connection.Queue.Writer.TryWrite(_status);
                    }
                    frame = stream.Frame;
                    connection.CatchingUpFrom = frame;
                    // the scope's last reset, if under a second old, followed by the frames since it
                    if (stream.Reset is { } reset && now - reset.At < ResetReuse && stream.Holds(reset.Frame))
                    {
                        connection.CatchingUpFrom = reset.Frame;
                        cached = reset.Event;
                        return;
                    }
                    members = stream.Members;
                    stream.SendsEveryPending = true; // the rows may hold a pending value its next frame would not send again
                    if (_rows is not { } held || held.Generation != _generation)
                    {
                        _rows = held = (_generation, _view.Rows());
                    }
                    rows = held.Rows;
                }
            });
            if (cached is not null)
            {
                return cached;
            }
            var scoped = members is null ? rows : [.. rows.Where(r => ScopeRule.Holds(members, r)).Select(ScopeRule.ForScope)];
            var encoded = Event("reset", new
            {
                _settings.Site,
                _settings.Workstation,
                now,
                settings = _wallboard,
                scope = new { stream.Scope.Groups, stream.Scope.Team, agents = members?.Agents.Count, shownGroups = members?.ShownGroups.Order(StringComparer.Ordinal) },
                _view.SnapshotSequence,
                _view.IsLoading,
                rows = scoped,
            }, Id(stream, frame));
            Interlocked.Increment(ref _resets);
            Interlocked.Add(ref _resetBytes, encoded.Length);
            lock (_gate)
            {
                stream.Reset = (frame, now, encoded); // a reload or a change of members since has cleared the frames after it: Holds then refuses it
            }
            return encoded;
        }
        finally
        {
            _resetBuild.Release();
        }
    }

    private string Id(WallboardScopeStream stream, long frame) => $"{_id}.{stream.Number}.{frame}";

    /// <summary>
    /// Sends what changed since the last frame: each changed row encoded once, and to each scope one frame of the latest
    /// value of its changed rows and of its rows removed (or gone out of it). First, when the configuration of teams and
    /// members changed, or an agent's current call took it into or out of a scope of groups, those scopes' members are
    /// resolved again, and the scopes whose members changed get a reset instead.
    /// </summary>
    public void Flush()
    {
        lock (_gate)
        {
            _scopes.FollowConfiguration();
            if (_pending.Count == 0)
            {
                return;
            }
            var pending = _pending.Values.ToArray();
            _pending.Clear();
            _generation++;
            _rows = null; // of the last generation: not kept alive
            _scopes.FollowCalls(pending);
            var encoded = new byte[]?[pending.Length];
            var summaries = new byte[]?[pending.Length]; // a call type or service row as the scopes get it (ScopeRule.ForScope)
            var drawnChanged = _scopes.SummariesChanged(pending);
            var agents = pending.Select(p => ScopeRule.NamesAnAgent(p.Row.Kind, p.Row.Table) ? ScopeRule.AgentOf(p.Row) : null).ToArray();
            var rows = new List<byte[]>();
            var removed = new List<byte[]>();
            foreach (var stream in _scopes.Streams)
            {
                rows.Clear();
                removed.Clear();
                for (var i = 0; i < pending.Length; i++)
                {
                    var sent = WallboardScopes.Sent(stream.Members, pending[i], agents[i]);
                    if (sent > 0 && stream.Members is not null && !drawnChanged[i] && !stream.SendsEveryPending)
                    {
                        continue; // a call type or service row of which no column the scope draws changed
                    }
                    if (sent != 0)
                    {
                        (sent > 0 ? rows : removed).Add(stream.Members is not null && ScopeRule.Summarized(pending[i].Row)
                            ? summaries[i] ??= Json.Serialize(ScopeRule.ForScope(pending[i].Row))
                            : encoded[i] ??= Json.Serialize(pending[i].Row));
                    }
                }
                stream.SendsEveryPending = false;
                if (rows.Count == 0 && removed.Count == 0)
                {
                    continue;
                }
                var id = ++stream.Frame;
                var frame = FrameEvent(Id(stream, id), rows, removed);
                stream.Recent.Enqueue((id, frame));
                while (stream.Recent.Count > ResumeFrames)
                {
                    stream.Recent.Dequeue();
                }
                Broadcast(stream.Connections, frame);
            }
        }
    }

    /// <summary>A "frame" event of rows encoded already: <c>{"rows":[...],"removed":[...]}</c>.</summary>
    private static byte[] FrameEvent(string id, List<byte[]> rows, List<byte[]> removed)
    {
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.UTF8.GetBytes($"id: {id}\nevent: frame\ndata: "));
        buffer.Write("{\"rows\":["u8);
        Join(buffer, rows);
        buffer.Write("],\"removed\":["u8);
        Join(buffer, removed);
        buffer.Write("]}\n\n"u8);
        return buffer.ToArray();
    }

    private static void Join(MemoryStream buffer, List<byte[]> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            if (i > 0)
            {
                buffer.WriteByte((byte)',');
            }
            buffer.Write(rows[i]);
        }
    }

    /// <summary>
    /// Sends the view's status (the host's clock, sequences, each table's age and staleness) to every connection; drops
    /// the scopes without a connection for <see cref="IdleScopeLifetime"/>.
    /// </summary>
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
            Broadcast(_connections, status);
            _scopes.DropIdle(now, IdleScopeLifetime);
        }
    }

    /// <summary>Queues an event to connections but those catching up (they read the frames from the recent ones, and the status when they have caught up).</summary>
    private void Broadcast(IEnumerable<WallboardConnection> connections, byte[] encoded)
    {
        foreach (var connection in connections)
        {
            if (!connection.Behind && connection.CatchingUpFrom is null && !connection.Queue.Writer.TryWrite(encoded))
            {
                connection.Behind = true;
                Interlocked.Increment(ref _fellBehind);
            }
        }
    }

    private static byte[] Event(string name, object data, string? id = null)
    {
        var json = Json.Serialize(data);
        var head = Encoding.UTF8.GetBytes(id is not null ? $"id: {id}\nevent: {name}\ndata: " : $"event: {name}\ndata: ");
        var encoded = new byte[head.Length + json.Length + 2];
        head.CopyTo(encoded, 0);
        json.CopyTo(encoded, head.Length);
        encoded[^2] = (byte)'\n';
        encoded[^1] = (byte)'\n';
        return encoded;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _logger.LogInformation("Wallboard feed {Feed}: a frame every {FrameInterval}, {ConnectionBuffer} events buffered per connection, at most {MaxConnections} connections and {MaxScopes} scopes",
            _id, _wallboard.FrameInterval, _wallboard.ConnectionBuffer, _wallboard.MaxConnections, _wallboard.MaxScopes);
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
