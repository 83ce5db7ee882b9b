using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Gateways;

/// <summary>How a recorded file of peripheral events is sent again (`rtd-lab feed replay`).</summary>
public static class Replay
{
    /// <summary>
    /// Each event with the time to send it: per peripheral a new session <paramref name="session"/>-{id} numbered from 1,
    /// beginning with a resync (the recorded one, or an empty one); times moved so that the last event is at the time it is
    /// sent, <paramref name="start"/> + duration / <paramref name="speed"/>, and no event is sent before its own time.
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset SendAt, PeripheralEvent Event)> Plan(IReadOnlyList<PeripheralEvent> recorded, DateTimeOffset start,
        double speed, string session)
    {
        if (recorded.Count == 0)
        {
            return [];
        }
        var first = recorded.Min(e => e.At);
        var last = recorded.Max(e => e.At);
        var shift = start + ((last - first) / speed) - last;
        var sequences = new Dictionary<long, long>();
        var plan = new List<(DateTimeOffset, PeripheralEvent)>();
        foreach (var e in recorded.OrderBy(e => e.At))
        {
            var sendAt = start + ((e.At - first) / speed);
            if (!sequences.TryGetValue(e.PeripheralId, out var sequence) && e.Type != PeripheralEventTypes.Resync)
            {
                plan.Add((sendAt, new PeripheralEvent(e.PeripheralId, $"{session}-{e.PeripheralId}", ++sequence, PeripheralEventTypes.Resync, e.At + shift,
                    Agents: [], Calls: [])));
            }
            sequences[e.PeripheralId] = ++sequence;
            plan.Add((sendAt, e with
            {
                Session = $"{session}-{e.PeripheralId}",
                Sequence = sequence,
                At = e.At + shift,
                Agents = e.Agents?.Select(a => a with { Since = a.Since + shift }).ToList(),
                Calls = e.Calls?.Select(c => c with { OfferedAt = c.OfferedAt + shift, AnsweredAt = c.AnsweredAt + shift }).ToList(),
            }));
        }
        return plan;
    }
}
