namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// The statistics engine's window counters, as the active center writes them to <c>statistics_checkpoint</c> every
/// <c>Central:Checkpoint:Interval</c> and a new active center loads them on takeover (docs/reliability.md): per skill
/// group, call type and service, the Half and Today tallies with the start of their period and the rolling five minutes
/// in one-second buckets. Agents, calls in progress and peripheral status are not in it: the gateways resync those.
/// </summary>
public sealed record StatisticsCheckpoint(
    IReadOnlyDictionary<long, WindowsCheckpoint> SkillGroups,
    IReadOnlyDictionary<long, WindowsCheckpoint> CallTypes,
    IReadOnlyDictionary<long, WindowsCheckpoint> Services);

/// <summary>One key's windows: the period starts (UTC ticks), the Half and Today tallies, the last five minutes by second.</summary>
public sealed record WindowsCheckpoint(long HalfStart, long DayStart, Tally Half, Tally Today, IReadOnlyList<RecentTally> Recent);

/// <summary>What the rolling window holds of one second (<paramref name="Ticks"/>: its last event's time).</summary>
public sealed record RecentTally(long Ticks, Tally Delta);

public sealed partial class StatisticsEngine
{
    /// <summary>The window counters of every key, copied under the engine's lock.</summary>
    public StatisticsCheckpoint Export()
    {
        lock (_gate)
        {
            return new(ExportWindows(_skillGroups), ExportWindows(_callTypes), ExportWindows(_services));
        }
    }

    /// <summary>
    /// A new term as the active center: the window counters of <paramref name="checkpoint"/> (null: none yet) replace those
    /// of the keys configured now; calls in progress and peripheral status are forgotten until the gateways resync.
    /// </summary>
    public void Restore(StatisticsCheckpoint? checkpoint)
    {
        lock (_gate)
        {
            _calls.Clear();
            _peripheralStatus.Clear();
            RestoreWindows(_skillGroups, checkpoint?.SkillGroups);
            RestoreWindows(_callTypes, checkpoint?.CallTypes);
            RestoreWindows(_services, checkpoint?.Services);
            // the agents' calls are not in the checkpoint (one entry per agent, 100,000 of them): they start again from zero
            RestoreWindows(_agentCalls, null);
        }
    }

    private static Dictionary<long, WindowsCheckpoint> ExportWindows(Dictionary<long, CallWindows> windows) =>
        windows.ToDictionary(w => w.Key, w => w.Value.Export());

    private static void RestoreWindows(Dictionary<long, CallWindows> windows, IReadOnlyDictionary<long, WindowsCheckpoint>? saved)
    {
        foreach (var id in windows.Keys.ToList())
        {
            // the key keeps its time zone (its peripheral's): the next Configure would otherwise see a changed zone and start it from zero
            windows[id] = new CallWindows(windows[id].Zone);
            if (saved is not null && saved.TryGetValue(id, out var state))
            {
                windows[id].Import(state);
            }
        }
    }
}

public sealed partial class CallWindows
{
    /// <summary>This key's windows, the rolling five minutes summed per second (at most 300 entries).</summary>
    public WindowsCheckpoint Export() => new(_halfStart, _dayStart, Half, Today,
        [.. _recent.GroupBy(r => r.Ticks / TimeSpan.TicksPerSecond).Select(g => new RecentTally(g.Max(r => r.Ticks), g.Aggregate(default(Tally), (sum, r) => sum + r.Delta)))]);

    /// <summary>Takes the windows of a checkpoint (the next <see cref="Roll"/> resets a period that has ended since).</summary>
    public void Import(WindowsCheckpoint state)
    {
        (_halfStart, _dayStart, Half, Today) = (state.HalfStart, state.DayStart, state.Half, state.Today);
        _recent.Clear();
        To5 = default;
        foreach (var recent in state.Recent.OrderBy(r => r.Ticks))
        {
            _recent.Enqueue((recent.Ticks, recent.Delta));
            To5 += recent.Delta;
        }
    }
}
