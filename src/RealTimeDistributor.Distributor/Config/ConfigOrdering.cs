namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// The ordering decisions of the configuration apply loop, with no I/O and no lock (<see cref="ConfigPipeline"/> holds the
/// lock and does the work, <see cref="ConfigStream"/> decides): which changes wait and which are in flight, the next run, a redelivered copy, and when a
/// missing change is a gap. A change waits until it can run; a run is in flight from the moment it is taken until its
/// site messages are confirmed (<see cref="Published"/>), or until it goes back to waiting (<see cref="Release"/>).
/// </summary>
/// <typeparam name="T">What stands for a change while it waits (the stream's parked completion).</typeparam>
public sealed class ConfigOrdering<T>(int maxRun, TimeSpan reorderWindow)
{
    private readonly SortedDictionary<long, Entry> _waiting = [];
    private readonly Dictionary<long, Entry> _inFlight = [];

    /// <param name="Since">When the change first arrived (the reorder window of a gap starts there).</param>
    /// <param name="Arrival">Its place in the order of arrival (<see cref="Arrivals"/> once it had come).</param>
    public readonly record struct Entry(long Sequence, T Item, DateTimeOffset Since, long Arrival);

    /// <summary>How many changes have arrived (a redelivered copy joining one that waits is not counted).</summary>
    public long Arrivals { get; private set; }

    /// <summary>The replica has every change through this sequence (-1 until it is known).</summary>
    public long Applied { get; set; } = -1;

    public int Waiting => _waiting.Count;

    public int InFlight => _inFlight.Count;

    /// <summary>
    /// A change arrives. Returns what stands for its sequence: the entry already waiting or in flight (a redelivered copy
    /// joins it), or <paramref name="item"/>, which waits from now on. A change at or below <see cref="Applied"/> waits
    /// too: the next run takes it, and the applier answers it as a duplicate.
    /// </summary>
    public T Arrive(long sequence, T item, DateTimeOffset now)
    {
        if (_waiting.TryGetValue(sequence, out var entry) || _inFlight.TryGetValue(sequence, out entry))
        {
            return entry.Item;
        }
        _waiting[sequence] = new Entry(sequence, item, now, ++Arrivals);
        return item;
    }

    /// <summary>
    /// Moves the run that starts at the next sequence (with any duplicates before it) from waiting to in flight: at most
    /// <c>maxRun</c> changes, stopping at the first hole. Empty when the next change has not come.
    /// </summary>
    public List<Entry> TakeRun()
    {
        var run = new List<Entry>();
        var expected = Applied + 1;
        foreach (var (sequence, entry) in _waiting)
        {
            if (run.Count == maxRun || sequence > expected)
            {
                break;
            }
            run.Add(entry);
            expected = Math.Max(expected, sequence + 1);
        }
        foreach (var entry in run)
        {
            _waiting.Remove(entry.Sequence);
            _inFlight[entry.Sequence] = entry;
        }
        return run;
    }

    /// <summary>
    /// The run is committed through <paramref name="through"/>: the changes of it after that wait again, and the ones
    /// returned stay in flight until <see cref="Published"/>.
    /// </summary>
    public List<Entry> Committed(IReadOnlyList<Entry> run, long through)
    {
        Applied = through;
        Release(run.Where(e => e.Sequence > through));
        return [.. run.Where(e => e.Sequence <= through)];
    }

    /// <summary>Puts changes in flight that did not get through back among the waiting ones.</summary>
    public void Release(IEnumerable<Entry> run)
    {
        foreach (var entry in run)
        {
            _inFlight.Remove(entry.Sequence);
            _waiting[entry.Sequence] = entry;
        }
    }

    /// <summary>The site has confirmed the run (or the stream gave up on it): it is no longer in flight.</summary>
    public void Published(IEnumerable<Entry> run)
    {
        foreach (var entry in run)
        {
            _inFlight.Remove(entry.Sequence);
        }
    }

    /// <summary>Removes and returns the waiting (not in flight) changes whose sequence <paramref name="done"/> selects.</summary>
    public List<Entry> TakeWaiting(Func<long, bool> done) => TakeWaitingWhere(e => done(e.Sequence));

    private List<Entry> TakeWaitingWhere(Func<Entry, bool> done)
    {
        List<Entry> taken = [.. _waiting.Values.Where(done)];
        foreach (var entry in taken)
        {
            _waiting.Remove(entry.Sequence);
        }
        return taken;
    }

    /// <summary>
    /// The center answered a question asked when <see cref="Arrivals"/> was <paramref name="askedAfter"/>: it has committed
    /// through <paramref name="centerCommitted"/>. Removes and returns the waiting changes beyond that answer which had
    /// arrived before the question: the center commits a change before it sends it, so it had committed those, had they
    /// been genuine, before it read its sequence. A change beyond the answer that arrived after the question is in doubt
    /// (the center may have committed it after it read its sequence and sent it before the answer came): it stays waiting,
    /// and only a later question, asked after it came, may refuse it (<see cref="InDoubt"/>).
    /// </summary>
    public List<Entry> TakeNeverCommitted(long centerCommitted, long askedAfter) =>
        TakeWaitingWhere(e => e.Sequence > centerCommitted && e.Arrival <= askedAfter);

    /// <summary>Whether a change beyond <paramref name="centerCommitted"/> came after the question (<see cref="TakeNeverCommitted"/>): ask again.</summary>
    public bool InDoubt(long centerCommitted, long askedAfter) =>
        _waiting.Values.Any(e => e.Sequence > centerCommitted && e.Arrival > askedAfter);

    /// <summary>The first waiting change, if any.</summary>
    public Entry? FirstWaiting => _waiting.Count == 0 ? null : _waiting.First().Value;

    /// <summary>True when <see cref="TakeRun"/> would take something.</summary>
    public bool CanRun => FirstWaiting is { } first && first.Sequence <= Applied + 1;

    /// <summary>
    /// The first waiting change when its predecessor has not come within the reorder window of its arrival: a gap, which
    /// only a snapshot fills. Null while the next change can run, nothing waits, or the window is still open.
    /// </summary>
    public Entry? Gap(DateTimeOffset now) =>
        FirstWaiting is { } first && first.Sequence > Applied + 1 && now - first.Since >= reorderWindow ? first : null;

    /// <summary>Removes and returns everything, waiting or in flight (the loop stops).</summary>
    public List<Entry> Clear()
    {
        List<Entry> all = [.. _waiting.Values, .. _inFlight.Values];
        _waiting.Clear();
        _inFlight.Clear();
        return all;
    }
}
