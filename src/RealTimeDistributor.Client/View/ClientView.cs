using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>One row of the live view: its current value, its version and the central time it was computed at.</summary>
public sealed record ViewRow(string Kind, string Table, string Key, long SiteSequence, JsonElement? Value, DateTimeOffset UpdatedAt, long Version = 0);

/// <summary>
/// A table of the view and how old its newest central update is: <paramref name="LastUpdatedAt"/> is that update or, for a
/// real-time table, its last heartbeat, whichever is later; only real-time tables can be stale.
/// </summary>
public sealed record TableStatus(string Kind, string Table, int Rows, DateTimeOffset LastUpdatedAt, TimeSpan Age, bool Stale);

public enum ApplyOutcome
{
    /// <summary>The update changed the view.</summary>
    Applied,

    /// <summary>At or below what the view holds for its table: already in the view, dropped.</summary>
    Duplicate,

    /// <summary>A snapshot is loading: kept until it has loaded.</summary>
    Buffered,

    /// <summary>The update's table lost a message before it: the view needs a fresh snapshot (the update is kept for after it).</summary>
    Gap,

    /// <summary>
    /// The update's site sequence is more than the allowed distance above the view's last one: refused and counted (not
    /// applied, not kept); the view stays where it was, and a fresh snapshot tells the site's real sequence.
    /// </summary>
    TooFarAhead,

    /// <summary>
    /// The update is of a lower fencing epoch than the view's (an instance that lost the site still publishing): ignored
    /// and counted.
    /// </summary>
    StaleEpoch,

    /// <summary>
    /// A reset (a resync or a takeover announced) newer than the view, or an update of a higher epoch or another stream (a
    /// new holder, a recreated replica): the view needs a fresh snapshot now. The update itself is dropped: the snapshot,
    /// asked for after it arrived, holds what it carried (the distributor commits before it publishes).
    /// </summary>
    Reset,

    /// <summary>
    /// The update's epoch is above the view's and further ahead of this clock than an epoch can be (a replica's creation
    /// time in milliseconds since 1970 plus its takeovers; Client:MaxEpochAhead): refused and counted (not applied, not
    /// kept, no reload); the view stays where it was.
    /// </summary>
    EpochTooFarAhead,
}

/// <summary>
/// The workstation's in-memory view of its site: the latest value per (kind, table, key), loaded from a snapshot and
/// kept current from the stream. The rules (docs/wire-format.md, "Ordering, duplicates and gaps"):
/// <list type="bullet">
/// <item>While a snapshot loads, stream updates are buffered. When it loads (at site sequence N), the buffer is applied
/// and those at or below N are dropped: they are in the snapshot.</item>
/// <item>Per table (kind, table), the view holds the last site sequence it applied (N after a snapshot). An update at or
/// below it is a duplicate. An update whose <see cref="SiteUpdate.PreviousSiteSequence"/> is above it follows a lost
/// message: that is a gap, the view stops applying and buffers until a fresh snapshot loads.</item>
/// <item>A configuration table the bindings receive only some keys of ("agent.1001") is followed the same way per row,
/// with <see cref="SiteUpdate.PreviousKeySequence"/>. A real-time message holds many rows of its table and reaches every
/// client that binds some key of the table (<see cref="Topology.Site.RealTimeBindings"/>): it is followed per table, and
/// only its rows that the bindings match go into the view.</item>
/// <item>A heartbeat (<see cref="HeartbeatUpdate"/>, one per full refresh of a real-time table) carries the table's chain
/// head: when the view holds less than it for the table, a message of the table was lost (a gap, as above; the heartbeat
/// itself is not kept). It also counts as the table being live for <see cref="Tables"/>.</item>
/// <item>Before all that, the fencing epoch (<see cref="SiteUpdate.Epoch"/>): an update of a lower epoch than the view's is
/// ignored (<see cref="ApplyOutcome.StaleEpoch"/>); one of a higher epoch or of another stream id, and a reset newer than
/// the view's snapshot, make the view load a fresh snapshot (<see cref="ApplyOutcome.Reset"/>).</item>
/// <item>An epoch above the view's must be plausible: one more than <c>maxEpochAhead</c> ahead of the clock (epochs are
/// creation times in milliseconds plus takeovers) is refused (<see cref="ApplyOutcome.EpochTooFarAhead"/>), so a forged
/// epoch cannot make every client reload; and the update that made the view reload is dropped, not replayed after the
/// snapshot (which would make it reload again, for ever).</item>
/// <item>An update more than <c>maxSequenceJump</c> above the last site sequence the view holds is refused
/// (<see cref="ApplyOutcome.TooFarAhead"/>): one forged or corrupt sequence must not move the view's position so far
/// that every real message after it looks like a duplicate.</item>
/// </list>
/// Events are raised under the view's lock, in the order the view changed: handlers must be quick.
/// </summary>
public sealed class ClientView(int bufferLimit = Topology.Site.ClientQueueMaxLength, IReadOnlyList<string>? bindings = null,
    long maxSequenceJump = ClientView.DefaultMaxSequenceJump, TimeSpan? maxEpochAhead = null, TimeProvider? clock = null)
{
    public const long DefaultMaxSequenceJump = 1_000_000;

    /// <summary>How far ahead of the workstation's clock a new epoch may be (clock skew, takeovers): one day.</summary>
    public static readonly TimeSpan DefaultMaxEpochAhead = TimeSpan.FromDays(1);

    private readonly long _maxEpochAheadMs = (long)(maxEpochAhead ?? DefaultMaxEpochAhead).TotalMilliseconds;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private readonly IReadOnlyList<string> _bindings = bindings ?? [Topology.AllKeys];
    private readonly Dictionary<string, bool> _wholeTables = [];
    private readonly Dictionary<(string Kind, string Table, string Key), ViewRow> _rows = []; // under _gate
    private readonly Dictionary<(string Kind, string Chain), long> _lastInChain = [];
    private readonly Dictionary<string, DateTimeOffset> _heartbeatAt = []; // per real-time table, under _gate
    private readonly Lock _gate = new();
    private List<SiteUpdate> _buffer = [];
    private bool _loading = true;
    private bool _bufferOverflowed;
    private long _snapshotSequence;
    private long _lastSiteSequence;
    private long _configChanges;
    private long _realTimeRows;
    private long _duplicates;
    private long _gaps;
    private long _snapshots;
    private long _snapshotRows;
    private long _buffered;
    private long _refused;
    private long _epoch;
    private Guid _streamId;
    private long _staleEpoch;
    private long _resets;

    /// <summary>A row was added or changed by the stream.</summary>
    public event Action<ViewRow>? Changed;

    /// <summary>A configuration delete removed a row.</summary>
    public event Action<ViewRow>? Removed;

    /// <summary>A snapshot replaced the whole view; the argument is its site sequence.</summary>
    public event Action<long>? Loaded;

    public long LastSiteSequence => Interlocked.Read(ref _lastSiteSequence);

    public long SnapshotSequence => Interlocked.Read(ref _snapshotSequence);

    public long ConfigChanges => Interlocked.Read(ref _configChanges);

    public long RealTimeRows => Interlocked.Read(ref _realTimeRows);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>The fencing epoch of the snapshot the view holds (<see cref="SiteUpdate.Epoch"/>).</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>Updates ignored because their epoch was lower than the view's.</summary>
    public long StaleEpochs => Interlocked.Read(ref _staleEpoch);

    /// <summary>The site stream the snapshot the view holds belongs to (<see cref="SiteUpdate.StreamId"/>).</summary>
    public Guid StreamId
    {
        get
        {
            lock (_gate)
            {
                return _streamId;
            }
        }
    }

    /// <summary>Reloads caused by a reset, a higher epoch or another stream id.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    public long Snapshots => Interlocked.Read(ref _snapshots);

    /// <summary>Stream updates refused: malformed (<see cref="Refuse"/>), or their sequence or epoch too far ahead.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <summary>Counts an update refused before it reached the view.</summary>
    public void Refuse() => Interlocked.Increment(ref _refused);

    /// <summary>Rows loaded from snapshots (every kind), beside <see cref="ConfigChanges"/> and <see cref="RealTimeRows"/> from the stream.</summary>
    public long SnapshotRows => Interlocked.Read(ref _snapshotRows);

    /// <summary>Stream updates that arrived while a snapshot loaded.</summary>
    public long Buffered => Interlocked.Read(ref _buffered);

    private long _centerUnreachableSinceTicks;

    /// <summary>
    /// Since when the site's distributor has not reached the center, from its last site status message (kind "status");
    /// null while it does. The view keeps serving what it holds; the wallboard and `rtd client` say so.
    /// </summary>
    public DateTimeOffset? CenterUnreachableSince =>
        Interlocked.Read(ref _centerUnreachableSinceTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>Takes a site status message: the center link's state, outside the site sequence.</summary>
    public void SiteStatus(DateTimeOffset? centerUnreachableSince) =>
        Interlocked.Exchange(ref _centerUnreachableSinceTicks, centerUnreachableSince?.UtcTicks ?? 0);

    public bool IsLoading
    {
        get
        {
            lock (_gate)
            {
                return _loading;
            }
        }
    }

    /// <summary>From now on, buffer stream updates until <see cref="Load"/>.</summary>
    public void BeginLoad()
    {
        lock (_gate)
        {
            _loading = true;
        }
    }

    /// <summary>
    /// Takes a site message: a status sets <see cref="CenterUnreachableSince"/> (it is outside the site sequence); the
    /// stream's messages are buffered while a snapshot loads, else applied by the rules above.
    /// </summary>
    public ApplyOutcome Apply(SiteUpdate update)
    {
        if (update is StatusUpdate status)
        {
            SiteStatus(status.CenterUnreachableSince);
            return ApplyOutcome.Applied;
        }
        lock (_gate)
        {
            if (!_loading)
            {
                return ApplyLocked(update);
            }
            if (_buffer.Count >= bufferLimit)
            {
                // the snapshot under way can no longer be completed from the buffer: load it, then load another
                _buffer.Clear();
                _bufferOverflowed = true;
            }
            _buffer.Add(update);
            _buffered++;
            return ApplyOutcome.Buffered;
        }
    }

    /// <summary>
    /// Replaces the view with a snapshot taken at <paramref name="siteSequence"/>, then applies the buffered updates
    /// above it. Returns <see cref="ApplyOutcome.Gap"/> when the view needs yet another snapshot.
    /// </summary>
    public ApplyOutcome Load(long siteSequence, IEnumerable<ViewRow> rows, long epoch = 0, Guid streamId = default)
    {
        lock (_gate)
        {
            _epoch = epoch;
            _streamId = streamId;
            _rows.Clear();
            foreach (var row in rows)
            {
                _rows[(row.Kind, row.Table, row.Key)] = row;
                _snapshotRows++;
            }
            _lastInChain.Clear();
            _snapshotSequence = siteSequence;
            _lastSiteSequence = siteSequence;
            _snapshots++;
            _loading = false;
            Loaded?.Invoke(siteSequence);

            var buffered = _buffer;
            _buffer = [];
            foreach (var update in buffered)
            {
                if (_loading)
                {
                    _buffer.Add(update);
                }
                else
                {
                    ApplyLocked(update);
                }
            }
            if (_bufferOverflowed)
            {
                _bufferOverflowed = false;
                _gaps++;
                _loading = true;
            }
            return _loading ? ApplyOutcome.Gap : ApplyOutcome.Applied;
        }
    }

    private ApplyOutcome ApplyLocked(SiteUpdate update)
    {
        if (update.Epoch < _epoch)
        {
            _staleEpoch++;
            return ApplyOutcome.StaleEpoch;
        }
        if (update.Epoch > _epoch && update.Epoch > _clock.GetUtcNow().ToUnixTimeMilliseconds() + _maxEpochAheadMs)
        {
            Interlocked.Increment(ref _refused);
            return ApplyOutcome.EpochTooFarAhead;
        }
        if (update.Epoch > _epoch || (update.StreamId != _streamId && update.StreamId != Guid.Empty && _streamId != Guid.Empty))
        {
            // a new holder or a recreated replica: its site sequences do not continue the view's. The update is not kept:
            // the snapshot holds it, and replayed after a snapshot of a lower epoch it would ask for another, and so on
            _resets++;
            _loading = true;
            return ApplyOutcome.Reset;
        }
        return update switch
        {
            ResetUpdate reset => ApplyReset(reset),
            ConfigUpdate change => ApplyChange(change),
            RealTimeUpdate rows => ApplyRows(rows),
            HeartbeatUpdate heartbeat => ApplyHeartbeat(heartbeat),
            _ => throw new ArgumentException($"a {update.Kind} message is not in the site stream", nameof(update)),
        };
    }

    private ApplyOutcome ApplyReset(ResetUpdate reset)
    {
        if (reset.SiteSequence <= _snapshotSequence)
        {
            _duplicates++;
            return ApplyOutcome.Duplicate;
        }
        _resets++;
        _loading = true;
        return ApplyOutcome.Reset;
    }

    private ApplyOutcome ApplyChange(ConfigUpdate update)
    {
        var outcome = WholeTable(update.Table)
            ? Follow(update, update.PreviousSiteSequence, update.Table)
            : Follow(update, update.PreviousKeySequence, $"{update.Table}.{update.Key}");
        if (outcome != ApplyOutcome.Applied)
        {
            return outcome;
        }
        _configChanges++;
        var change = update.Config;
        var row = new ViewRow(update.Kind, update.Table, update.Key, update.SiteSequence, change.Row, change.CommittedAt, change.Sequence);
        if (change.Operation == ConfigOperations.Delete)
        {
            _rows.Remove((row.Kind, row.Table, row.Key));
            Removed?.Invoke(row);
        }
        else
        {
            Put(row);
        }
        return ApplyOutcome.Applied;
    }

    /// <summary>
    /// A heartbeat: the table is live; and if the table's chain has gone further than the view holds (a message of it was
    /// lost, say to a queue that overflowed, and nothing else of the table came since), the view needs a fresh snapshot.
    /// </summary>
    private ApplyOutcome ApplyHeartbeat(HeartbeatUpdate heartbeat)
    {
        if (heartbeat.ChainHead - _lastSiteSequence > maxSequenceJump)
        {
            Interlocked.Increment(ref _refused);
            return ApplyOutcome.TooFarAhead;
        }
        if (!_heartbeatAt.TryGetValue(heartbeat.Table, out var at) || heartbeat.PublishedAt > at)
        {
            _heartbeatAt[heartbeat.Table] = heartbeat.PublishedAt;
        }
        if (heartbeat.ChainHead > _lastInChain.GetValueOrDefault((SiteUpdate.RealTimeKind, heartbeat.Table), _snapshotSequence))
        {
            _gaps++;
            _loading = true;
            return ApplyOutcome.Gap;
        }
        return ApplyOutcome.Applied;
    }

    /// <summary>A real-time message holds rows of its whole table: every client of the table follows the table's chain.</summary>
    private ApplyOutcome ApplyRows(RealTimeUpdate update)
    {
        var outcome = Follow(update, update.PreviousSiteSequence, update.Table);
        if (outcome != ApplyOutcome.Applied)
        {
            return outcome;
        }
        var whole = WholeTable(update.Table);
        for (var i = 0; i < update.Rows.Count; i++)
        {
            var value = update.Rows[i];
            if (whole || TopicPattern.MatchesAny(_bindings, Topology.Site.RoutingKey(update.Table, value.Key)))
            {
                _realTimeRows++;
                // a row at the version the view holds already (its snapshot was taken after the row was written) is no
                // change: its readers (the wallboard, the freshness figures) must not see it as one
                if (_rows.TryGetValue((update.Kind, update.Table, value.Key), out var held) && held.Version == value.Version)
                {
                    continue;
                }
                Put(new ViewRow(update.Kind, update.Table, value.Key, update.FirstSiteSequence + i, value.Data, value.UpdatedAt, value.Version));
            }
        }
        return ApplyOutcome.Applied;
    }

    /// <summary>
    /// Where a message of a chain (its <paramref name="link"/> to the one before) stands against the view: too far ahead,
    /// a duplicate, after a gap (kept for after the next snapshot), or next: then the chain and the view move on to it.
    /// </summary>
    private ApplyOutcome Follow(SiteUpdate update, long link, string chain)
    {
        var last = _lastInChain.GetValueOrDefault((update.Kind, chain), _snapshotSequence);
        if (update.SiteSequence - _lastSiteSequence > maxSequenceJump)
        {
            Interlocked.Increment(ref _refused);
            return ApplyOutcome.TooFarAhead;
        }
        if (update.SiteSequence <= last)
        {
            _duplicates++;
            return ApplyOutcome.Duplicate;
        }
        if (link > last)
        {
            _gaps++;
            _loading = true;
            _buffer.Add(update);
            return ApplyOutcome.Gap;
        }
        _lastInChain[(update.Kind, chain)] = update.SiteSequence;
        _lastSiteSequence = Math.Max(_lastSiteSequence, update.SiteSequence);
        return ApplyOutcome.Applied;
    }

    private void Put(ViewRow row)
    {
        _rows[(row.Kind, row.Table, row.Key)] = row;
        Changed?.Invoke(row);
    }

    private bool WholeTable(string table)
    {
        if (!_wholeTables.TryGetValue(table, out var whole))
        {
            whole = _bindings.Any(b => TopicPattern.CoversTable(b, table));
            _wholeTables[table] = whole;
        }
        return whole;
    }

    /// <summary>
    /// Runs <paramref name="action"/> under the view's lock: the view does not change meanwhile and no event is raised, so
    /// a subscriber can take its first state and subscribe as one step. Events are raised under the same lock, so anything
    /// the action locks must be taken in this order (view first) everywhere.
    /// </summary>
    public void Atomically(Action action)
    {
        lock (_gate)
        {
            action();
        }
    }

    public ViewRow? Find(string kind, string table, string key)
    {
        lock (_gate)
        {
            return _rows.GetValueOrDefault((kind, table, key));
        }
    }

    /// <summary>
    /// The text of agent <paramref name="agentKey"/>'s current reason code (its real-time row's <c>reasonCode</c>, on its
    /// peripheral: <see cref="ReasonTexts"/>), the bare code when no text is configured, "" without a reason.
    /// </summary>
    public string ReasonText(string agentKey)
    {
        var code = Find(SiteUpdate.RealTimeKind, RealTimeTables.Agent, agentKey)?.Value is { ValueKind: JsonValueKind.Object } value
            && value.TryGetProperty("reasonCode", out var field) && field.ValueKind == JsonValueKind.Number && field.TryGetInt32(out var n) ? n : 0;
        return code == 0 ? "" : ReasonTexts.From(Current()).Label(agentKey, code);
    }

    public IReadOnlyList<ViewRow> Rows() => [.. Current().OrderBy(r => r.Kind).ThenBy(r => r.Table).ThenBy(r => r.Key, KeyOrder.Instance)];

    /// <summary>The rows as of one moment: a snapshot replaces them all under the lock, and a reader never sees it half done.</summary>
    private ViewRow[] Current()
    {
        lock (_gate)
        {
            return [.. _rows.Values];
        }
    }

    /// <summary>
    /// Each table's size and the age of its newest central update, or of its last heartbeat if that is later (a quiet
    /// real-time table whose rows do not change is live while its full refreshes arrive); a real-time table older than
    /// staleAfter is stale.
    /// </summary>
    public IReadOnlyList<TableStatus> Tables(DateTimeOffset now, TimeSpan staleAfter)
    {
        ViewRow[] rows;
        Dictionary<string, DateTimeOffset> heartbeats;
        lock (_gate)
        {
            rows = [.. _rows.Values];
            heartbeats = new(_heartbeatAt);
        }
        return
        [
            .. rows
                .GroupBy(r => (r.Kind, r.Table))
                .Select(g =>
                {
                    var newest = g.Max(r => r.UpdatedAt);
                    var realTime = g.Key.Kind == SiteUpdate.RealTimeKind;
                    var live = realTime && heartbeats.TryGetValue(g.Key.Table, out var beat) && beat > newest ? beat : newest;
                    var age = now - live;
                    return new TableStatus(g.Key.Kind, g.Key.Table, g.Count(), live, age, realTime && age > staleAfter);
                })
                .OrderBy(t => t.Kind).ThenBy(t => t.Table),
        ];
    }

    public static ViewRow FromSnapshot(SiteSnapshotRow row, long siteSequence) =>
        new(row.Kind, row.Table, row.Key, siteSequence, row.Value, row.UpdatedAt, row.Version);

    /// <summary>Numeric keys first, in numeric order (9 before 10), then the others ordinally.</summary>
    internal sealed class KeyOrder : IComparer<string>
    {
        public static readonly KeyOrder Instance = new();

        public int Compare(string? x, string? y) => (long.TryParse(x, out var a), long.TryParse(y, out var b)) switch
        {
            (true, true) => a.CompareTo(b),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(x, y),
        };
    }
}
