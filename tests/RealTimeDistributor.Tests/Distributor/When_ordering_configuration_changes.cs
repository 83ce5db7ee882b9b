using RealTimeDistributor.Distributor.Config;

namespace RealTimeDistributor.Tests.Distributor;

/// <summary>The apply loop's ordering decisions (<see cref="ConfigOrdering{T}"/>), with arrivals no broker would produce on cue.</summary>
public sealed class When_ordering_configuration_changes
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(2);
    private static readonly DateTimeOffset Start = DateTimeOffset.UnixEpoch;

    /// <summary>An ordering whose replica has applied through <paramref name="applied"/>; each change is named after its sequence.</summary>
    private static ConfigOrdering<string> Ordering(long applied, int maxRun = 1_000) => new(maxRun, Window) { Applied = applied };

    private static void Arrive(ConfigOrdering<string> ordering, DateTimeOffset at, params long[] sequences)
    {
        foreach (var sequence in sequences)
        {
            ordering.Arrive(sequence, $"#{sequence}", at);
        }
    }

    private static long[] Sequences(IEnumerable<ConfigOrdering<string>.Entry> entries) => [.. entries.Select(e => e.Sequence)];

    [Fact]
    public void Should_take_changes_that_arrived_backwards_as_one_run_in_sequence_order()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 14, 12, 13, 11);

        Assert.Equal([11, 12, 13, 14], Sequences(ordering.TakeRun()));
        Assert.Equal(0, ordering.Waiting);
        Assert.Equal(4, ordering.InFlight);
    }

    [Fact]
    public void Should_stop_a_run_at_the_first_hole()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 11, 12, 14, 15);

        Assert.Equal([11, 12], Sequences(ordering.TakeRun()));
        Assert.Equal(14, ordering.FirstWaiting?.Sequence);
        Assert.False(ordering.CanRun);
    }

    [Fact]
    public void Should_take_nothing_while_the_next_change_has_not_come()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12, 13);

        Assert.Empty(ordering.TakeRun());
        Assert.Equal(2, ordering.Waiting);
    }

    [Fact]
    public void Should_cut_a_long_backlog_into_runs_of_the_largest_size()
    {
        var ordering = Ordering(applied: 0, maxRun: 3);
        Arrive(ordering, Start, 1, 2, 3, 4, 5, 6, 7);

        var first = ordering.TakeRun();
        Assert.Equal([1, 2, 3], Sequences(first));
        Assert.Equal([1, 2, 3], Sequences(ordering.Committed(first, 3)));
        Assert.Equal([4, 5, 6], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_join_a_redelivered_copy_to_the_change_that_waits()
    {
        var ordering = Ordering(applied: 10);

        Assert.Equal("first", ordering.Arrive(12, "first", Start));
        Assert.Equal("first", ordering.Arrive(12, "copy", Start.AddSeconds(1)));
        Assert.Equal(1, ordering.Waiting);
        Assert.Equal(Start, ordering.FirstWaiting?.Since);
    }

    [Fact]
    public void Should_join_a_redelivered_copy_to_the_change_in_flight_until_it_is_published()
    {
        var ordering = Ordering(applied: 10);
        ordering.Arrive(11, "first", Start);
        var done = ordering.Committed(ordering.TakeRun(), 11);

        Assert.Equal("first", ordering.Arrive(11, "copy", Start));
        Assert.Equal(0, ordering.Waiting);

        ordering.Published(done);
        Assert.Equal("copy", ordering.Arrive(11, "copy", Start));
        Assert.Equal(1, ordering.Waiting);
    }

    [Fact]
    public void Should_hand_a_change_already_applied_to_the_next_run_as_a_duplicate()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 9, 11);

        Assert.Equal([9, 11], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_run_a_duplicate_alone_when_the_next_change_has_not_come()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 7, 12);

        Assert.Equal([7], Sequences(ordering.TakeRun()));
        Assert.Null(ordering.Gap(Start));
    }

    [Fact]
    public void Should_put_the_changes_a_run_did_not_reach_back_among_the_waiting_ones()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 11, 12, 13);
        var run = ordering.TakeRun();

        // another instance had applied 11 only: the applier stopped there
        var done = ordering.Committed(run, 11);

        Assert.Equal([11], Sequences(done));
        Assert.Equal(11, ordering.Applied);
        Assert.Equal(1, ordering.InFlight);
        Assert.Equal([12, 13], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_wait_again_for_a_whole_run_that_failed()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 11, 12);
        var run = ordering.TakeRun();

        ordering.Release(run);

        Assert.Equal(0, ordering.InFlight);
        Assert.Equal([11, 12], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_not_call_a_hole_a_gap_before_the_reorder_window_has_passed()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12);

        Assert.Null(ordering.Gap(Start + Window - TimeSpan.FromMilliseconds(1)));
        Assert.Equal(12, ordering.Gap(Start + Window)?.Sequence);
    }

    [Fact]
    public void Should_count_the_reorder_window_from_the_first_copy_of_a_change()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12);
        Arrive(ordering, Start + Window, 12);

        Assert.Equal(12, ordering.Gap(Start + Window)?.Sequence);
    }

    [Fact]
    public void Should_close_a_gap_when_the_late_change_comes_within_the_window()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12, 13);
        Arrive(ordering, Start.AddSeconds(1), 11);

        Assert.True(ordering.CanRun);
        Assert.Null(ordering.Gap(Start + Window));
        Assert.Equal([11, 12, 13], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_close_a_gap_when_another_instance_applied_the_missing_change()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12);

        // the replica says 11 is in (the other instance of an A/B pair applied it)
        ordering.Applied = 11;

        Assert.True(ordering.CanRun);
        Assert.Null(ordering.Gap(Start + Window));
    }

    [Fact]
    public void Should_see_no_gap_when_nothing_waits()
    {
        Assert.Null(Ordering(applied: 10).Gap(Start + Window));
    }

    [Fact]
    public void Should_end_the_waits_a_snapshot_covers_and_keep_the_later_ones()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12, 15, 21);

        ordering.Applied = 20;

        Assert.Equal([12, 15], Sequences(ordering.TakeWaiting(s => s <= 20)));
        Assert.Equal([21], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_fail_only_the_poison_change_and_leave_the_rest_waiting()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 11, 12, 13);
        var run = ordering.TakeRun();

        ordering.Release(run);
        var poison = ordering.TakeWaiting(s => s == 12);

        Assert.Equal([12], Sequences(poison));
        Assert.Equal([11], Sequences(ordering.TakeRun()));
        Assert.Equal(13, ordering.FirstWaiting?.Sequence);
    }

    [Fact]
    public void Should_hand_back_everything_waiting_or_in_flight_when_it_stops()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 11, 13);
        ordering.TakeRun();

        Assert.Equal([11, 13], Sequences(ordering.Clear().OrderBy(e => e.Sequence)));
        Assert.Equal(0, ordering.Waiting + ordering.InFlight);
    }

    [Fact]
    public void Should_refuse_as_never_committed_only_the_changes_beyond_the_answer_that_waited_before_the_question()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 12, 100_001);
        var asked = ordering.Arrivals;

        // the center reads its sequence, 12, then commits 13 and delivers it before that answer comes
        Arrive(ordering, Start, 13);

        Assert.Equal([100_001], Sequences(ordering.TakeNeverCommitted(centerCommitted: 12, asked)));
        Assert.True(ordering.InDoubt(centerCommitted: 12, asked));
        Assert.Equal([12, 13], Sequences(ordering.TakeWaiting(_ => true)));
    }

    [Fact]
    public void Should_never_refuse_a_change_that_came_while_the_question_was_out()
    {
        var ordering = Ordering(applied: 1996);
        Arrive(ordering, Start, 1997);
        var asked = ordering.Arrivals;
        Arrive(ordering, Start, 1998);

        Assert.Empty(ordering.TakeNeverCommitted(centerCommitted: 1997, asked));
        Assert.True(ordering.InDoubt(centerCommitted: 1997, asked));

        // asked again, after it came: now the answer covers it
        Assert.Empty(ordering.TakeNeverCommitted(centerCommitted: 1998, ordering.Arrivals));
        Assert.False(ordering.InDoubt(centerCommitted: 1998, ordering.Arrivals));
        Assert.Equal([1997, 1998], Sequences(ordering.TakeRun()));
    }

    [Fact]
    public void Should_judge_a_change_by_its_first_arrival_when_a_copy_comes_during_the_question()
    {
        var ordering = Ordering(applied: 10);
        Arrive(ordering, Start, 100_001);
        var asked = ordering.Arrivals;
        Arrive(ordering, Start, 100_001);

        Assert.Equal([100_001], Sequences(ordering.TakeNeverCommitted(centerCommitted: 10, asked)));
        Assert.False(ordering.InDoubt(centerCommitted: 10, asked));
    }
}
