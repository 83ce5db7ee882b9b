using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

public sealed class When_the_client_view_receives_updates
{
    private static RealTimeUpdate Rt(long siteSequence, string key, int value, long previous = 0, string table = "skillgroup") =>
        Batch(siteSequence, previous, table, (key, value));

    /// <summary>A real-time site message: its rows have the site sequences that end at <paramref name="lastSiteSequence"/>.</summary>
    private static RealTimeUpdate Batch(long lastSiteSequence, long previous, string table, params (string Key, int Value)[] rows) =>
        new("site-a", lastSiteSequence, table,
            [.. rows.Select(r => new RealTimeRow(r.Key, lastSiteSequence, DateTimeOffset.UnixEpoch, Json.ToElement(new { value = r.Value })))],
            DateTimeOffset.UnixEpoch)
        {
            FirstSiteSequence = lastSiteSequence - rows.Length + 1,
            PreviousSiteSequence = previous,
        };

    private static ConfigUpdate Config(long siteSequence, string key, string operation, long previous = 0) =>
        new("site-a", siteSequence, "agent", key,
            new ConfigChanged(siteSequence, siteSequence - 1, "agent", operation, key,
                operation == ConfigOperations.Delete ? null : Json.ToElement(new { name = "Ana" }), DateTimeOffset.UnixEpoch),
            DateTimeOffset.UnixEpoch)
        {
            PreviousSiteSequence = previous,
        };

    private static ClientView Loaded(long siteSequence = 0, params ViewRow[] rows)
    {
        var view = new ClientView();
        view.Load(siteSequence, rows);
        return view;
    }

    /// <summary>A loaded view that applied skill group row 10 (value 1) at site sequence 1, the first of its table's chain.</summary>
    private static ClientView HoldingRow10()
    {
        var view = Loaded();
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(1, "10", 1)));
        return view;
    }

    private static int ValueOf(ClientView view, string key) =>
        view.Find(SiteUpdate.RealTimeKind, "skillgroup", key)!.Value!.Value.GetProperty("value").GetInt32();

    [Fact]
    public void Should_drop_an_update_at_or_below_the_last_site_sequence()
    {
        var view = HoldingRow10();
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(2, "10", 2, previous: 1)));
        Assert.Equal(ApplyOutcome.Duplicate, view.Apply(Rt(2, "10", 99, previous: 1)));
        Assert.Equal(ApplyOutcome.Duplicate, view.Apply(Rt(1, "10", 98)));

        Assert.Equal(2, ValueOf(view, "10"));
        Assert.Equal(2, view.Duplicates);
    }

    [Fact]
    public void Should_see_a_gap_when_the_previous_message_of_the_table_is_missing()
    {
        var view = HoldingRow10();
        Assert.Equal(ApplyOutcome.Gap, view.Apply(Rt(3, "11", 1, previous: 2)));

        Assert.Equal(1, view.Gaps);
        Assert.True(view.IsLoading);
        Assert.Null(view.Find(SiteUpdate.RealTimeKind, "skillgroup", "11"));
    }

    [Fact]
    public void Should_not_see_a_gap_for_messages_of_tables_it_does_not_receive()
    {
        // bound to skillgroup only: site sequences 2..9 went to other tables
        var view = HoldingRow10();
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(10, "10", 2, previous: 1)));

        Assert.Equal(0, view.Gaps);
        Assert.Equal(2, ValueOf(view, "10"));
    }

    [Fact]
    public void Should_follow_each_configuration_row_when_it_binds_single_keys()
    {
        var view = new ClientView(bindings: ["agent.100"]);
        view.Load(0, []);
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Config(1, "100", ConfigOperations.Upsert) with { PreviousKeySequence = 0 }));
        // agent 101 changed at 2, which this client does not receive: the table link points at it, the row link does not
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Config(3, "100", ConfigOperations.Upsert, previous: 2) with { PreviousKeySequence = 1 }));
        Assert.Equal(ApplyOutcome.Gap, view.Apply(Config(5, "100", ConfigOperations.Upsert, previous: 4) with { PreviousKeySequence = 4 }));
    }

    [Fact]
    public void Should_apply_every_row_of_a_real_time_message_with_its_own_site_sequence()
    {
        var view = Loaded();
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Batch(3, 0, "skillgroup", ("10", 1), ("11", 2), ("12", 3))));

        Assert.Equal([1L, 2L, 3L], [.. view.Rows().Select(r => r.SiteSequence)]);
        Assert.Equal([1, 2, 3], [ValueOf(view, "10"), ValueOf(view, "11"), ValueOf(view, "12")]);
        Assert.Equal(3, view.RealTimeRows);
        Assert.Equal(3, view.LastSiteSequence);
    }

    [Fact]
    public void Should_keep_only_the_rows_its_bindings_match_and_follow_their_table()
    {
        var view = new ClientView(bindings: ["skillgroup.10", "agent.1001"]);
        view.Load(0, []);
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Batch(3, 0, "skillgroup", ("10", 1), ("11", 2), ("12", 3))));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Batch(5, 0, "agent", ("1001", 4), ("1002", 5))));
        // a message of the table without the client's row still moves the table's chain
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Batch(6, 3, "skillgroup", ("11", 6))));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Batch(7, 6, "skillgroup", ("10", 7))));

        Assert.Equal(["agent:1001", "skillgroup:10"], [.. view.Rows().Select(r => $"{r.Table}:{r.Key}")]);
        Assert.Equal(7, ValueOf(view, "10"));
        Assert.Equal(3, view.RealTimeRows);

        // the message before 9 in the skill-group table (8) never came, though it may not even have held row 10
        Assert.Equal(ApplyOutcome.Gap, view.Apply(Batch(9, 8, "skillgroup", ("12", 9))));
        Assert.True(view.IsLoading);
    }

    [Fact]
    public void Should_drop_a_republished_real_time_message_it_holds()
    {
        var view = Loaded(4);
        Assert.Equal(ApplyOutcome.Duplicate, view.Apply(Batch(4, 0, "agent", ("1", 1), ("2", 2))));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Batch(6, 4, "agent", ("1", 3), ("2", 4))));
        Assert.Equal(ApplyOutcome.Duplicate, view.Apply(Batch(6, 4, "agent", ("1", 3), ("2", 4))));

        Assert.Equal(2, view.Duplicates);
        Assert.Equal(2, view.RealTimeRows);
    }

    [Fact]
    public void Should_buffer_while_a_snapshot_loads_and_apply_only_what_is_above_it()
    {
        var view = new ClientView();
        Assert.Equal(ApplyOutcome.Buffered, view.Apply(Rt(5, "10", 5, previous: 4)));
        Assert.Equal(ApplyOutcome.Buffered, view.Apply(Rt(6, "10", 6, previous: 5)));
        Assert.Equal(ApplyOutcome.Buffered, view.Apply(Rt(7, "10", 7, previous: 6)));

        var outcome = view.Load(6, [new ViewRow(SiteUpdate.RealTimeKind, "skillgroup", "10", 6, Json.ToElement(new { value = 6 }), DateTimeOffset.UnixEpoch)]);

        Assert.Equal(ApplyOutcome.Applied, outcome);
        Assert.Equal(7, ValueOf(view, "10"));
        Assert.Equal(2, view.Duplicates);
        Assert.Equal(1, view.RealTimeRows);
        Assert.Equal(7, view.LastSiteSequence);
    }

    [Fact]
    public void Should_ask_for_another_snapshot_when_the_buffer_has_a_gap_above_the_snapshot()
    {
        var view = new ClientView();
        view.Apply(Rt(9, "10", 9, previous: 8));

        Assert.Equal(ApplyOutcome.Gap, view.Load(6, []));
        Assert.True(view.IsLoading);

        Assert.Equal(ApplyOutcome.Applied, view.Load(9, []));
    }

    [Fact]
    public void Should_remove_a_deleted_configuration_row()
    {
        var view = Loaded();
        view.Apply(Config(1, "100", ConfigOperations.Upsert));
        Assert.NotNull(view.Find(SiteUpdate.ConfigKind, "agent", "100"));

        view.Apply(Config(2, "100", ConfigOperations.Delete, previous: 1));
        Assert.Null(view.Find(SiteUpdate.ConfigKind, "agent", "100"));
        Assert.Equal(2, view.ConfigChanges);
    }

    [Fact]
    public void Should_flag_a_real_time_table_whose_newest_update_is_too_old()
    {
        var now = DateTimeOffset.UnixEpoch.AddMinutes(10);
        var view = Loaded(1,
            new ViewRow(SiteUpdate.RealTimeKind, "agent", "1", 1, null, now.AddSeconds(-5)),
            new ViewRow(SiteUpdate.RealTimeKind, "skillgroup", "10", 1, null, now.AddMinutes(-2)),
            new ViewRow(SiteUpdate.RealTimeKind, "skillgroup", "11", 1, null, now.AddMinutes(-3)),
            new ViewRow(SiteUpdate.ConfigKind, "agent", "1", 1, null, now.AddDays(-1)));

        var tables = view.Tables(now, TimeSpan.FromSeconds(45)).ToDictionary(t => $"{t.Kind}:{t.Table}");

        Assert.False(tables["realtime:agent"].Stale);
        Assert.True(tables["realtime:skillgroup"].Stale);
        Assert.Equal(TimeSpan.FromMinutes(2), tables["realtime:skillgroup"].Age);
        Assert.Equal(2, tables["realtime:skillgroup"].Rows);
        Assert.False(tables["config:agent"].Stale);
    }

    [Fact]
    public async Task Should_never_show_a_reader_a_half_loaded_snapshot()
    {
        var rows = Enumerable.Range(0, 5_000)
            .Select(i => new ViewRow(SiteUpdate.RealTimeKind, "skillgroup", i.ToString(System.Globalization.CultureInfo.InvariantCulture), 1,
                Json.ToElement(new { value = i }), DateTimeOffset.UnixEpoch, 1))
            .ToArray();
        var view = Loaded(1, rows);
        using var done = new CancellationTokenSource();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var loads = Task.Run(async () =>
        {
            await reading.Task;
            for (var n = 0; n < 200; n++)
            {
                view.Load(1 + n, rows);
            }
            done.Cancel();
        });

        var reads = 0;
        reading.SetResult();
        while (!done.IsCancellationRequested)
        {
            Assert.Equal(rows.Length, view.Rows().Count);
            Assert.Equal(rows.Length, view.Tables(DateTimeOffset.UnixEpoch, TimeSpan.FromDays(1)).Single().Rows);
            reads++;
        }
        await loads;
        Assert.True(reads > 0);
    }

    [Fact]
    public void Should_not_report_a_row_sent_again_with_the_version_it_holds_as_a_change()
    {
        var view = Loaded();
        var changed = new List<(string Key, long Version)>();
        view.Changed += row => changed.Add((row.Key, row.Version));
        RealTimeUpdate Message(long siteSequence, long previous, params (string Key, long Version, int Value)[] rows) =>
            new("site-a", siteSequence, "skillgroup",
                [.. rows.Select(r => new RealTimeRow(r.Key, r.Version, DateTimeOffset.UnixEpoch, Json.ToElement(new { value = r.Value })))],
                DateTimeOffset.UnixEpoch)
            {
                FirstSiteSequence = siteSequence - rows.Length + 1,
                PreviousSiteSequence = previous,
            };

        Assert.Equal(ApplyOutcome.Applied, view.Apply(Message(2, 0, ("10", 100, 1), ("11", 101, 2))));
        // a full refresh: "10" again with its version, "11" with a new one
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Message(4, 2, ("10", 100, 1), ("11", 102, 3))));

        Assert.Equal([("10", 100L), ("11", 101L), ("11", 102L)], changed);
        Assert.Equal(3, ValueOf(view, "11"));
        Assert.Equal(4, view.LastSiteSequence);
    }
}
