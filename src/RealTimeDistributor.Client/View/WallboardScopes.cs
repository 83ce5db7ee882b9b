using System.Text.Json;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client.View;

/// <summary>A row changed since the feed's last frame: its latest value, and the agent a membership row named before its first change.</summary>
internal readonly record struct PendingRow(ViewRow Row, bool Removed, string? Before);

/// <summary>
/// The scope bookkeeping of a <see cref="WallboardFeed"/>: the streams of the scopes asked for (at most
/// <see cref="WallboardSettings.MaxScopes"/>), the directory of teams and members their members are resolved from
/// (<see cref="WallboardDirectory"/>), and the columns of each call type and service row the scoped streams were last
/// sent (<see cref="SummariesChanged"/>). It takes no lock: every member is called under the feed's lock (which is
/// taken after the view's, never before it), as the streams' and their connections' state is kept.
/// </summary>
internal sealed class WallboardScopes(int maxScopes)
{
    private readonly Dictionary<string, WallboardScopeStream> _streams = [];
    private readonly WallboardDirectory _directory = new();
    // the columns a scope draws of each call type and service row (ScopeRule.ForScope) as the scopes were last sent them
    private readonly Dictionary<(string Table, string Key), JsonElement> _summariesSent = [];
    private long _resolved; // the directory's version the scopes' members were resolved at
    private long _numbers;

    public IEnumerable<WallboardScopeStream> Streams => _streams.Values;

    public int Count => _streams.Count;

    /// <summary>Times a scope's members changed (its connections then get a reset).</summary>
    public long MembersChanged { get; private set; }

    /// <summary>Keeps the directory up to date with a row of the view changed or removed; returns the agent a membership row named before.</summary>
    public string? Apply(ViewRow row, bool removed) => _directory.Apply(row, removed);

    /// <summary>
    /// A snapshot replaced the view with <paramref name="rows"/>: the directory is loaded again, every scope resolved and
    /// its connections reset, and what the scopes were sent forgotten (their resets hold the loaded rows).
    /// </summary>
    public void Load(IEnumerable<ViewRow> rows)
    {
        _summariesSent.Clear();
        _directory.Load(rows);
        _resolved = _directory.Version;
        foreach (var stream in _streams.Values)
        {
            Invalidate(stream, stream.Members is null ? null : _directory.Resolve(stream.Scope));
        }
    }

    /// <summary>The scope's stream, a new one if it has none (the idle scope longest without a connection dropped at the cap); null at the cap.</summary>
    public WallboardScopeStream? StreamOf(WallboardScope scope)
    {
        if (_streams.TryGetValue(scope.Key, out var stream))
        {
            return stream;
        }
        if (_streams.Count >= maxScopes)
        {
            if (_streams.Values.Where(s => s.Connections.Count == 0).MinBy(s => s.IdleSince) is not { } idle)
            {
                return null;
            }
            _streams.Remove(idle.Scope.Key);
        }
        stream = new WallboardScopeStream(scope, ++_numbers, scope.IsWholeSite ? null : _directory.Resolve(scope));
        _streams[scope.Key] = stream;
        return stream;
    }

    /// <summary>Drops the scopes without a connection for longer than <paramref name="lifetime"/>.</summary>
    public void DropIdle(DateTimeOffset now, TimeSpan lifetime)
    {
        foreach (var idle in _streams.Values.Where(s => s.Connections.Count == 0 && now - s.IdleSince > lifetime).ToList())
        {
            _streams.Remove(idle.Scope.Key);
        }
    }

    /// <summary>
    /// When the configuration of teams and members changed since the scopes were resolved, resolves every scope again
    /// (those whose members changed get a reset).
    /// </summary>
    public void FollowConfiguration()
    {
        if (_directory.Version != _resolved)
        {
            _resolved = _directory.Version;
            foreach (var stream in _streams.Values)
            {
                ResolveAgain(stream);
            }
        }
    }

    /// <summary>
    /// Before a reset of <paramref name="stream"/>: when the configuration changed since the scopes were resolved (the
    /// next frame resolves them all), resolves this one now, so the reset holds its members of now.
    /// </summary>
    public void FollowConfiguration(WallboardScopeStream stream)
    {
        if (_directory.Version != _resolved)
        {
            ResolveAgain(stream);
        }
    }

    /// <summary>
    /// An agent whose current call took it into or out of a scope of groups, or an agent of a scope working for a skill
    /// group the scope does not name (not one of its own groups): that scope's members are resolved again (and its
    /// connections reset with the group's configuration row).
    /// </summary>
    public void FollowCalls(PendingRow[] pending)
    {
        foreach (var stream in _streams.Values)
        {
            if (stream.Members is not { } members)
            {
                continue;
            }
            foreach (var p in pending)
            {
                if (p.Row.Kind == SiteUpdate.RealTimeKind && p.Row.Table == RealTimeTables.Agent
                    && _directory.WorkingFor(p.Row.Key) is var working
                    && ((members.FollowsCalls && members.Admits(p.Row.Key, working) != members.Agents.Contains(p.Row.Key))
                        || (working is not null && !members.NamedGroups.Contains(working) && members.Agents.Contains(p.Row.Key))))
                {
                    ResolveAgain(stream); // its agents change: this agent joins or leaves them
                    break;
                }
            }
        }
    }

    /// <summary>
    /// For each pending row, whether a scope is sent it when it has not been reset since the last frame: true but for a
    /// call type or service row whose columns the scopes draw (<see cref="ScopeRule.ForScope"/>) are those they were last
    /// sent, which are kept for the next frame (a removed row's dropped). Every scoped stream is sent the same call type
    /// and service rows (<see cref="ScopeRule.Holds"/>), so what one was last sent is what all were; a scope reset since
    /// the last frame is sent every pending row instead (<see cref="WallboardScopeStream.SendsEveryPending"/>).
    /// </summary>
    public bool[] SummariesChanged(PendingRow[] pending)
    {
        var changed = new bool[pending.Length];
        for (var i = 0; i < pending.Length; i++)
        {
            var row = pending[i].Row;
            changed[i] = true;
            if (!ScopeRule.Summarized(row))
            {
                continue;
            }
            var key = (row.Table, row.Key);
            if (pending[i].Removed || ScopeRule.ForScope(row).Value is not { } drawn)
            {
                _summariesSent.Remove(key);
                continue;
            }
            changed[i] = !_summariesSent.TryGetValue(key, out var sent) || !JsonElement.DeepEquals(sent, drawn);
            _summariesSent[key] = drawn;
        }
        return changed;
    }

    /// <summary>
    /// Whether a scope of <paramref name="members"/> (null: the whole site) is sent a pending row: 1 as a row, -1 as removed
    /// (removed from the view, or a membership row whose agent was the scope's and is no longer), 0 not.
    /// </summary>
    public static int Sent(ScopeMembers? members, PendingRow p, string? agent)
    {
        if (members is null)
        {
            return p.Removed ? -1 : 1;
        }
        if (ScopeRule.NamesAnAgent(p.Row.Kind, p.Row.Table))
        {
            var was = p.Before is not null && members.Agents.Contains(p.Before);
            return !p.Removed && agent is not null && members.Agents.Contains(agent) ? 1 : was || (p.Removed && p.Before is null) ? -1 : 0;
        }
        return !ScopeRule.Holds(members, p.Row) ? 0 : p.Removed ? -1 : 1;
    }

    /// <summary>Resolves a scope's members again; when they changed, its connections get a fresh reset. A whole-site stream has no members.</summary>
    private void ResolveAgain(WallboardScopeStream stream)
    {
        if (stream.Members is not null && _directory.Resolve(stream.Scope) is var members && !members.SameAs(stream.Members))
        {
            Invalidate(stream, members);
            MembersChanged++;
        }
    }

    /// <summary>
    /// The scope's events so far no longer hold for it (the view reloaded, or its members changed): its connections get a
    /// fresh reset, and none resumes across this (its next frame's number is not the next after any it sent).
    /// </summary>
    private static void Invalidate(WallboardScopeStream stream, ScopeMembers? members)
    {
        stream.Members = members;
        stream.Recent.Clear();
        stream.Reset = null;
        stream.Frame++; // a browser at the last frame must not resume across this
        foreach (var connection in stream.Connections)
        {
            connection.Behind = true;
            connection.Queue.Writer.TryWrite(WallboardFeed.Wake);
        }
    }
}
