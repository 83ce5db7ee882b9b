namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>
/// Which deliveries of one channel may be acked, with no I/O and no lock (<see cref="RawQueueConsumer"/> holds the
/// lock and sends the acks): the broker numbers a channel's deliveries 1, 2, 3, ..., and a multiple-ack of tag N acks
/// every delivery up to N, so only the stretch from 1 in which every delivery is done can be acked. A delivery that ends
/// without being done (the host stops first) holds back the acks after it; the broker redelivers it and them when the
/// channel closes, and a consumer that sees a message twice skips it (the apply loop, by sequence).
/// </summary>
public sealed class AckWindow
{
    private readonly SortedSet<ulong> _done = [];

    /// <summary>Every delivery up to this tag is done (0: none yet).</summary>
    public ulong DoneThrough { get; private set; }

    /// <summary>Deliveries received and not yet ended.</summary>
    public int Open { get; private set; }

    public void Received() => Open++;

    /// <summary>A delivery ended: done (its change is in the replica and republished, or parked) or not.</summary>
    public void Ended(ulong tag, bool done)
    {
        Open--;
        if (!done)
        {
            return;
        }
        _done.Add(tag);
        while (_done.Count > 0 && _done.Min == DoneThrough + 1)
        {
            DoneThrough = _done.Min;
            _done.Remove(DoneThrough);
        }
    }
}
