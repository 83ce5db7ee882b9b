using System.Threading.Channels;

namespace RealTimeDistributor.Client.View;

/// <summary>One browser's event stream: a few events at most, shared with every other connection of its scope (never copied).</summary>
public sealed class WallboardConnection(int capacity, WallboardScopeStream stream)
{
    internal Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    /// <summary>The stream of its scope's events it reads.</summary>
    public WallboardScopeStream Stream => stream;

    /// <summary>Fell behind (its buffer was full), the view reloaded or its scope's members changed: its next event is a fresh reset. Under the feed's lock.</summary>
    internal bool Behind { get; set; }

    /// <summary>
    /// After a reset (or a resume) of this frame: the frames after it are read from its scope's recent frames, not queued
    /// to this connection, until it has the last; so the time a reset takes to write does not fill its buffer. Under the feed's lock.
    /// </summary>
    internal long? CatchingUpFrom { get; set; }

    /// <summary>Events waiting to be written to this connection.</summary>
    public int Buffered => Queue.Reader.Count;
}

/// <summary>
/// The events of one scope (<see cref="WallboardScope"/>), shared by its connections: its frames are numbered on their
/// own, its recent frames and its reset are its own. Under the feed's lock.
/// </summary>
public sealed class WallboardScopeStream(WallboardScope scope, long number, ScopeMembers? members)
{
    public WallboardScope Scope => scope;

    /// <summary>This stream among the feed's (a scope dropped and asked for again gets a new one): part of its event ids.</summary>
    public long Number => number;

    /// <summary>Who and what it shows; null for the whole site.</summary>
    public ScopeMembers? Members { get; internal set; } = members;

    internal long Frame { get; set; }

    internal Queue<(long Id, byte[] Event)> Recent { get; } = new();

    internal (long Frame, DateTimeOffset At, byte[] Event)? Reset { get; set; }

    internal HashSet<WallboardConnection> Connections { get; } = [];

    /// <summary>
    /// A reset was built since its last frame: its next frame sends every pending row of the scope, even a call type or
    /// service row none of whose drawn columns changed (the reset may hold a value pending then that changed back since).
    /// </summary>
    internal bool SendsEveryPending { get; set; }

    /// <summary>Since when it has had no connection.</summary>
    internal DateTimeOffset IdleSince { get; set; }

    /// <summary>Whether it holds every frame after <paramref name="last"/> (none, when it is the last).</summary>
    internal bool Holds(long last) => last == Frame || (last < Frame && Recent.Count > 0 && Recent.Peek().Id <= last + 1);
}

