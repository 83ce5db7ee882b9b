using RealTimeDistributor.Lab.Chaos;

namespace RealTimeDistributor.Tests.Cli;

public sealed class When_the_chaos_oracle_checks_a_system
{
    private static readonly string[] Everything = ["#"];

    private static RowSet Rows(params (string Table, long Id, string Text, long Version)[] rows) =>
        new(rows.ToDictionary(r => (r.Table, r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), r => (r.Text, r.Version)));

    private static Dictionary<(string Table, string Key), long> Versions(params (string Table, string Key, long Version)[] rows) =>
        rows.ToDictionary(r => (r.Table, r.Key), r => r.Version);

    private static readonly RowSet CenterRows = Rows(("agent", 1, "a1", 3), ("agent", 2, "a2", 4), ("skillgroup", 1, "s1", 2));
    private static readonly Dictionary<(string, string), long> Sent = Versions(("agent", "1", 10), ("skillgroup", "1", 20));
    private static readonly CenterState Center = new(4, CenterRows, Sent);

    private static ReplicaState Replica(RowSet? rows = null, long applied = 4, long twice = 0, Dictionary<(string, string), long>? realTime = null) =>
        new("s", applied, twice, rows ?? CenterRows, realTime ?? Sent);

    private static ClientState Client(IReadOnlyList<string> bindings, Dictionary<(string, string), long> config, Dictionary<(string, string), long> realTime) =>
        new("s", "ws1", bindings, config, realTime);

    private static ClientState WholeClient() => Client(Everything, new(CenterRows.Versions), new(Sent));

    [Fact]
    public void Should_pass_a_system_whose_replicas_and_views_equal_the_center()
    {
        var verdict = Oracle.Check(Center, [Replica()], [WholeClient()]);

        Assert.True(verdict.Passed, string.Join("; ", verdict.Violations));
        Assert.Equal((0, 0, 0, 0), (verdict.Lost, verdict.Duplicated, verdict.Unexpected, verdict.Stale));
    }

    [Fact]
    public void Should_count_a_row_missing_at_the_replica_as_lost_and_one_only_there_as_unexpected()
    {
        var replica = Replica(Rows(("agent", 1, "a1", 3), ("skillgroup", 1, "s1", 2), ("agent", 9, "a9", 1)));

        var verdict = Oracle.Check(Center, [replica], []);

        Assert.False(verdict.Passed);
        Assert.Equal(1, verdict.Lost);
        Assert.Equal(1, verdict.Unexpected);
        Assert.Contains(verdict.Violations, v => v.Contains("agent 2 lost", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_count_a_row_that_differs_as_stale_and_name_an_applied_sequence_that_differs()
    {
        var verdict = Oracle.Check(Center, [Replica(Rows(("agent", 1, "a1 old", 3), ("agent", 2, "a2", 4), ("skillgroup", 1, "s1", 2)), applied: 3)], []);

        Assert.Equal(1, verdict.Stale);
        Assert.Contains(verdict.Violations, v => v.Contains("applied sequence 3, the center's last is 4", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_count_changes_applied_twice_as_duplicated()
    {
        var verdict = Oracle.Check(Center, [Replica(twice: 2)], []);

        Assert.Equal(2, verdict.Duplicated);
        Assert.False(verdict.Passed);
    }

    [Fact]
    public void Should_count_an_older_real_time_version_as_stale_and_a_newer_one_as_unexpected()
    {
        var verdict = Oracle.Check(Center, [Replica(realTime: Versions(("agent", "1", 9), ("skillgroup", "1", 21)))], []);

        Assert.Equal(1, verdict.Stale);
        Assert.Equal(1, verdict.Unexpected);
    }

    [Fact]
    public void Should_not_expect_rows_published_before_a_replica_was_recreated_but_hold_those_it_has_to_the_newest()
    {
        var center = Center with { RealTimeRecreatedAt = new Dictionary<string, long> { ["s"] = 15 } };

        var without = Oracle.Check(center, [Replica(realTime: Versions(("skillgroup", "1", 20)))], []);
        var older = Oracle.Check(center, [Replica(realTime: Versions(("agent", "1", 9), ("skillgroup", "1", 20)))], []);
        var missingNewer = Oracle.Check(center, [Replica(realTime: Versions(("agent", "1", 10)))], []);

        Assert.True(without.Passed, string.Join("; ", without.Violations));
        Assert.Equal(1, older.Stale);
        Assert.Equal(1, missingNewer.Lost);
    }

    [Fact]
    public void Should_compare_a_filtered_client_with_only_the_rows_its_bindings_receive()
    {
        string[] bindings = ["agent.1", "skillgroup.*"];
        var right = Client(bindings, Versions(("agent", "1", 3), ("skillgroup", "1", 2)), Versions(("agent", "1", 10), ("skillgroup", "1", 20)));
        var holdsTooMuch = Client(bindings, Versions(("agent", "1", 3), ("agent", "2", 4), ("skillgroup", "1", 2)), Versions(("agent", "1", 10), ("skillgroup", "1", 20)));

        Assert.True(Oracle.Check(Center, [Replica()], [right]).Passed);
        var verdict = Oracle.Check(Center, [Replica()], [holdsTooMuch]);
        Assert.Equal(1, verdict.Unexpected);
        Assert.Contains(verdict.Violations, v => v.Contains("client s/ws1: config agent 2 unexpected", StringComparison.Ordinal));
    }

    [Fact]
    public void Should_count_a_client_row_older_than_its_replica_as_stale_and_a_view_it_cannot_read_as_a_violation()
    {
        var stale = Client(Everything, Versions(("agent", "1", 3), ("agent", "2", 3), ("skillgroup", "1", 2)), new(Sent));

        Assert.Equal(1, Oracle.Check(Center, [Replica()], [stale]).Stale);
        Assert.False(Oracle.Check(Center, [Replica()], [new ClientState("s", "ws1", Everything, null, null)]).Passed);
    }

    [Fact]
    public void Should_name_at_most_a_dozen_violations_but_count_them_all()
    {
        var many = new CenterState(0, Rows([.. Enumerable.Range(1, 100).Select(i => ("agent", (long)i, "a", 1L))]), Sent);

        var verdict = Oracle.Check(many, [Replica(RowSet.Empty, applied: 0)], []);

        Assert.Equal(100, verdict.Lost);
        Assert.Equal(Verdict.NamedViolations + 1, verdict.Violations.Count);
    }
}
