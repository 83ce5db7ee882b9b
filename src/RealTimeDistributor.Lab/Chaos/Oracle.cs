using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>What the center holds: its last committed configuration sequence, every configuration row, and the newest
/// real-time version the run published per (table, key).</summary>
public sealed record CenterState(long LastSequence, RowSet Config, IReadOnlyDictionary<(string Table, string Key), long> RealTimeSent)
{
    /// <summary>
    /// Per site whose replica was recreated: the newest real-time version the run had published by then. A recreated
    /// replica loads the center's real-time snapshot, and the center does not hold the rows the run publishes itself
    /// (its simulation is off), so a row whose newest version is at or below this is not promised there: it may be
    /// missing (if it is there, it must be the newest). In production the center publishes every row and its snapshot
    /// holds them.
    /// </summary>
    public IReadOnlyDictionary<string, long> RealTimeRecreatedAt { get; init; } = new Dictionary<string, long>();
}

/// <summary>One site's replica: its applied sequence, changes it logged twice, its configuration rows and real-time versions.</summary>
public sealed record ReplicaState(string Site, long Applied, long AppliedTwice, RowSet Config, IReadOnlyDictionary<(string Table, string Key), long> RealTime);

/// <summary>One client's view (null view: the client did not answer): configuration versions and real-time versions per (table, key).</summary>
public sealed record ClientState(string Site, string Workstation, IReadOnlyList<string> Bindings,
    IReadOnlyDictionary<(string Table, string Key), long>? Config, IReadOnlyDictionary<(string Table, string Key), long>? RealTime);

/// <summary>Configuration rows per (table, id): the row's text (every column) and its version (config_sequence).</summary>
public sealed record RowSet(IReadOnlyDictionary<(string Table, string Key), (string Text, long Version)> Rows)
{
    public static RowSet Empty { get; } = new(new Dictionary<(string, string), (string, long)>());

    public IReadOnlyDictionary<(string Table, string Key), long> Versions => Rows.ToDictionary(r => r.Key, r => r.Value.Version);
}

/// <summary>The oracle's answer: counts per kind of difference, and the first differences named.</summary>
public sealed record Verdict(long Lost, long Duplicated, long Unexpected, long Stale, IReadOnlyList<string> Violations)
{
    public const int NamedViolations = 12;

    public bool Passed => Violations.Count == 0;

    public Verdict With(string violation) => this with { Violations = [.. Violations, violation] };
}

/// <summary>
/// The chaos runner's oracle: compares what the center holds with every replica and every client view.
/// <list type="bullet">
/// <item>Every configuration row of every replica equals the center's row for row (lost: at the center only; unexpected:
/// at the replica only; stale: different), and the replica's applied sequence equals the center's last one; a change
/// the replica logged as applied twice is duplicated.</item>
/// <item>Real-time rows hold the newest version the run published per key (lost: missing; stale: older; unexpected: a key
/// never published, or a version newer than any published); a replica recreated during the run need not hold the rows
/// published before (<see cref="CenterState.RealTimeRecreatedAt"/>).</item>
/// <item>Every client view equals its replica, restricted to the client's bindings (configuration rows by version,
/// real-time rows by version).</item>
/// </list>
/// </summary>
public static class Oracle
{
    public static Verdict Check(CenterState center, IReadOnlyList<ReplicaState> replicas, IReadOnlyList<ClientState> clients)
    {
        var tally = new Tally();
        foreach (var replica in replicas)
        {
            var where = $"replica {replica.Site}";
            if (replica.Applied != center.LastSequence)
            {
                tally.Name($"{where}: applied sequence {replica.Applied}, the center's last is {center.LastSequence}");
            }
            if (replica.AppliedTwice > 0)
            {
                tally.Duplicated += replica.AppliedTwice;
                tally.Name($"{where}: {replica.AppliedTwice} changes applied more than once");
            }
            Compare(tally, where, "config", center.Config.Rows.ToDictionary(r => r.Key, r => r.Value.Text),
                replica.Config.Rows.ToDictionary(r => r.Key, r => r.Value.Text), newerIsUnexpected: false);
            var recreatedAt = center.RealTimeRecreatedAt.GetValueOrDefault(replica.Site, long.MinValue);
            Compare(tally, where, "real-time", center.RealTimeSent.Where(r => r.Value > recreatedAt || replica.RealTime.ContainsKey(r.Key)).ToDictionary(),
                replica.RealTime, newerIsUnexpected: true);
        }
        foreach (var client in clients)
        {
            var where = $"client {client.Site}/{client.Workstation}";
            if (replicas.FirstOrDefault(r => r.Site == client.Site) is not { } replica)
            {
                tally.Name($"{where}: no replica of its site was read");
                continue;
            }
            if (client.Config is null || client.RealTime is null)
            {
                tally.Name($"{where}: its view could not be read");
                continue;
            }
            Compare(tally, where, "config", Bound(replica.Config.Versions, client.Bindings), client.Config, newerIsUnexpected: true);
            Compare(tally, where, "real-time", Bound(replica.RealTime, client.Bindings), client.RealTime, newerIsUnexpected: true);
        }
        return new Verdict(tally.Lost, tally.Duplicated, tally.Unexpected, tally.Stale, tally.Violations);
    }

    /// <summary>The rows a client with <paramref name="bindings"/> receives: those whose "{table}.{key}" one of them matches.</summary>
    public static Dictionary<(string Table, string Key), T> Bound<T>(IReadOnlyDictionary<(string Table, string Key), T> rows, IReadOnlyList<string> bindings) =>
        rows.Where(r => TopicPattern.MatchesAny(bindings, Topology.Site.RoutingKey(r.Key.Table, r.Key.Key))).ToDictionary(r => r.Key, r => r.Value);

    private static void Compare<T>(Tally tally, string where, string kind, IReadOnlyDictionary<(string Table, string Key), T> expected,
        IReadOnlyDictionary<(string Table, string Key), T> actual, bool newerIsUnexpected) where T : notnull
    {
        foreach (var (key, value) in expected)
        {
            if (!actual.TryGetValue(key, out var held))
            {
                tally.Lost++;
                tally.Name($"{where}: {kind} {key.Table} {key.Key} lost (expected {value})");
            }
            else if (!EqualityComparer<T>.Default.Equals(held, value))
            {
                var newer = newerIsUnexpected && held is long h && value is long v && h > v;
                if (newer)
                {
                    tally.Unexpected++;
                }
                else
                {
                    tally.Stale++;
                }
                tally.Name($"{where}: {kind} {key.Table} {key.Key} {(newer ? "newer than expected" : "stale")}: holds {held}, expected {value}");
            }
        }
        foreach (var key in actual.Keys.Where(k => !expected.ContainsKey(k)))
        {
            tally.Unexpected++;
            tally.Name($"{where}: {kind} {key.Table} {key.Key} unexpected (holds {actual[key]})");
        }
    }

    private sealed class Tally
    {
        public long Lost;
        public long Duplicated;
        public long Unexpected;
        public long Stale;
        public List<string> Violations { get; } = [];

        public void Name(string violation)
        {
            if (Violations.Count < Verdict.NamedViolations)
            {
                Violations.Add(violation);
            }
            else if (Violations.Count == Verdict.NamedViolations)
            {
                Violations.Add("... (more)");
            }
        }
    }
}
