namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// The statistics engine's window counters, as the active center writes them to <c>statistics_checkpoint</c> every
/// <c>Central:Checkpoint:Interval</c> and a new active center loads them on takeover (docs/reliability.md): per skill
/// group, call type and service, the Half and Today tallies with the start of their period and the rolling five minutes
/// in one-second buckets; per agent with calls in the current half hour or today, what its row shows of them
/// (<see cref="AgentPeriods"/>). Agent states, calls in progress and peripheral status are not in it: the gateways resync
/// those. <paramref name="Agents"/> is null in a checkpoint written before agents were in it: their counts then start from zero.
/// </summary>
public sealed record StatisticsCheckpoint(
    IReadOnlyDictionary<long, WindowsCheckpoint> SkillGroups,
    IReadOnlyDictionary<long, WindowsCheckpoint> CallTypes,
    IReadOnlyDictionary<long, WindowsCheckpoint> Services,
    IReadOnlyList<AgentPeriods>? Agents = null);

/// <summary>
/// The agents whose half hour and day started at <paramref name="HalfStart"/> and <paramref name="DayStart"/> (UTC ticks:
/// one entry per peripheral time zone), each with [answered, handled, handle milliseconds] of the half hour then of the
/// day: about 30 bytes an agent, where a whole <see cref="WindowsCheckpoint"/> would be 600 (written every
/// <c>Central:Checkpoint:Interval</c>).
/// </summary>
public sealed record AgentPeriods(long HalfStart, long DayStart, IReadOnlyDictionary<long, long[]> Calls);

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
            return new(ExportWindows(_skillGroups), ExportWindows(_callTypes), ExportWindows(_services),
                [.. _agentCalls.Where(a => a.Value.Half != default || a.Value.Today != default)
                    .GroupBy(a => a.Value.Periods)
                    .Select(g => new AgentPeriods(g.Key.HalfStart, g.Key.DayStart, g.ToDictionary(a => a.Key, a => a.Value.ExportCalls())))]);
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
            RestoreWindows(_agentCalls, null);
            foreach (var periods in checkpoint?.Agents ?? [])
            {
                foreach (var (agent, calls) in periods.Calls)
                {
                    _agentCalls.GetValueOrDefault(agent)?.ImportCalls(periods.HalfStart, periods.DayStart, calls);
                }
            }
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

    /// <summary>The starts of this key's half hour and day (UTC ticks).</summary>
    public (long HalfStart, long DayStart) Periods => (_halfStart, _dayStart);

    /// <summary>An agent's calls as <see cref="AgentPeriods"/> keeps them: answered, handled, handle milliseconds of the half hour, then of the day.</summary>
    public long[] ExportCalls() => [.. Calls(Half), .. Calls(Today)];

    /// <summary>Takes an agent's calls from <see cref="ExportCalls"/>'s form (anything else is ignored: the agent starts from zero).</summary>
    public void ImportCalls(long halfStart, long dayStart, long[] calls)
    {
        if (calls.Length == 6)
        {
            (_halfStart, _dayStart, Half, Today) = (halfStart, dayStart, Calls(calls, 0), Calls(calls, 3));
        }
    }

    private static long[] Calls(Tally tally) => [tally.Answered, tally.Handled, (long)Math.Round(tally.HandleSeconds * 1000)];

    private static Tally Calls(long[] calls, int from) => new() { Answered = calls[from], Handled = calls[from + 1], HandleSeconds = calls[from + 2] / 1000.0 };

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
