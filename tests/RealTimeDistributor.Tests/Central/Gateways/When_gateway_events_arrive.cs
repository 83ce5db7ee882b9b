using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Tests.Central.Statistics;

namespace RealTimeDistributor.Tests.Central.Gateways;

/// <summary>The intake of peripheral events (GatewayActivity): order, duplicates, gaps, silence; no services.</summary>
public sealed class When_gateway_events_arrive
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T10:00:00Z");

    private readonly ManualClock _clock = new(Start);
    private readonly GatewayActivity _intake;

    public When_gateway_events_arrive()
    {
        _intake = new GatewayActivity(new ActivityOptions(ActivityOptions.Gateways, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)), _clock);
        _intake.Configure(StatisticsHarness.SmallCenter with { PeripheralOfAgent = new Dictionary<long, long> { [1] = 1, [2] = 1, [3] = 1, [4] = 1 } }, Start);
    }

    private static PeripheralEvent Ready(long sequence, long agent) =>
        new(1, "s", sequence, PeripheralEventTypes.AgentState, Start.AddSeconds(sequence), AgentId: agent, State: AgentStates.Ready, ReasonCode: 0);

    private static PeripheralEvent Resync(long sequence) => new(1, "s", sequence, PeripheralEventTypes.Resync, Start.AddSeconds(sequence), Agents: [], Calls: []);

    private async Task<List<ActivityEvent>> ReadAsync() => [.. await _intake.ReadAsync(_clock.Now, CancellationToken.None)];

    [Fact]
    public async Task Should_apply_in_order_and_drop_a_duplicate()
    {
        Assert.Equal(IntakeOutcome.Applied, _intake.Accept(Resync(1)).Outcome);
        Assert.Equal(IntakeOutcome.Applied, _intake.Accept(Ready(2, 1)).Outcome);
        var duplicate = _intake.Accept(Ready(2, 2));
        Assert.Equal(IntakeOutcome.Duplicate, duplicate.Outcome);
        Assert.Null(duplicate.ResyncReason);
        var events = await ReadAsync();
        Assert.Equal(1, events.OfType<AgentStateChanged>().Single().AgentId);
        Assert.Empty(events.OfType<PeripheralStatusChanged>());
    }

    [Fact]
    public async Task Should_ask_for_a_resync_on_a_gap_and_be_uncertain_until_it_comes()
    {
        _intake.Accept(Resync(1));
        var gap = _intake.Accept(Ready(3, 1));
        Assert.Equal(IntakeOutcome.Applied, gap.Outcome);
        Assert.Contains("gap", gap.ResyncReason, StringComparison.Ordinal);
        Assert.Equal(PeripheralStatuses.Uncertain, (await ReadAsync()).OfType<PeripheralStatusChanged>().Single().Status);
        Assert.Null(_intake.Accept(Resync(4)).ResyncReason);
        var after = await ReadAsync();
        Assert.Single(after.OfType<PeripheralResynced>());
        Assert.Equal(PeripheralStatuses.Online, after.OfType<PeripheralStatusChanged>().Single().Status);
    }

    [Fact]
    public async Task Should_ask_a_new_session_or_a_first_event_without_a_resync_for_one()
    {
        Assert.NotNull(_intake.Accept(Ready(1, 1)).ResyncReason);
        Assert.Equal(PeripheralStatuses.Uncertain, (await ReadAsync()).OfType<PeripheralStatusChanged>().Single().Status);
    }

    [Fact]
    public async Task Should_flag_a_silent_peripheral_offline_and_online_again_on_its_next_event()
    {
        _intake.Accept(Resync(1));
        _clock.Now = Start.AddSeconds(14);
        Assert.Empty((await ReadAsync()).OfType<PeripheralStatusChanged>());
        _clock.Now = Start.AddSeconds(16);
        Assert.Equal(PeripheralStatuses.Offline, (await ReadAsync()).OfType<PeripheralStatusChanged>().Single().Status);
        _intake.Accept(new PeripheralEvent(1, "s", 2, PeripheralEventTypes.Heartbeat, Start.AddSeconds(16)));
        Assert.Equal(PeripheralStatuses.Online, (await ReadAsync()).OfType<PeripheralStatusChanged>().Single().Status);
    }

    [Theory]
    [InlineData(9, 1, "unknown peripheral 9")]
    [InlineData(1, 5, "unknown agent 5")]
    public void Should_refuse_what_the_configuration_does_not_know(long peripheral, long agent, string reason)
    {
        var result = _intake.Accept(Ready(1, agent) with { PeripheralId = peripheral });
        Assert.Equal(IntakeOutcome.Refused, result.Outcome);
        Assert.Equal(reason, result.Reason);
    }

    [Fact]
    public async Task Should_take_a_batch_all_or_nothing_and_leave_no_trace_of_a_refused_one()
    {
        _intake.Accept(Resync(1));
        var offered = new PeripheralEvent(1, "s", 3, PeripheralEventTypes.CallOffered, Start.AddSeconds(3), CallId: 1, CallTypeId: 7, SkillGroupId: 10);
        await ReadAsync();

        // a good agent state, a good call and an unknown agent: refused as a whole, nothing read, no sequence taken
        var refused = _intake.AcceptAll([Ready(2, 1), offered, Ready(4, 5)]);
        Assert.False(refused.Committed);
        Assert.Equal([IntakeOutcome.Applied, IntakeOutcome.Applied, IntakeOutcome.Refused], refused.Results.Select(r => r.Outcome));
        Assert.Empty(await ReadAsync());

        // the same sequences, corrected: no duplicate, no gap, and the call is offered once (not "offered twice")
        var committed = _intake.AcceptAll([Ready(2, 1), offered, Ready(4, 2)]);
        Assert.True(committed.Committed);
        Assert.False(committed.AwaitingResync);
        Assert.All(committed.Results, r => Assert.Equal((IntakeOutcome.Applied, null), (r.Outcome, r.ResyncReason)));
        var events = await ReadAsync();
        Assert.Equal([1L, 2L], events.OfType<AgentStateChanged>().Select(a => a.AgentId));
        Assert.Single(events.OfType<CallOffered>());
        Assert.Empty(events.OfType<PeripheralStatusChanged>());
    }

    [Fact]
    public async Task Should_put_back_a_peripheral_first_heard_in_a_refused_batch()
    {
        var refused = _intake.AcceptAll([Ready(1, 1), Ready(2, 5)]);
        Assert.False(refused.Committed);
        Assert.Empty(await ReadAsync());
        Assert.Empty(_intake.AwaitingResync(Start.AddHours(1)));
    }

    [Fact]
    public void Should_refuse_a_sequence_far_above_the_sessions_without_taking_its_place()
    {
        _intake.Accept(Resync(1));
        var far = _intake.Accept(Ready(2, 1) with { Sequence = 2 + ActivityOptions.DefaultMaxSequenceJump });
        Assert.Equal(IntakeOutcome.Refused, far.Outcome);
        Assert.StartsWith("sequence 1000002 is more than 1,000,000 above the session's last, 1", far.Reason, StringComparison.Ordinal);
        var atBound = _intake.Accept(Ready(2, 1) with { Sequence = 1 + ActivityOptions.DefaultMaxSequenceJump });
        Assert.Equal((IntakeOutcome.Applied, "gap: sequence 1000001 after 1"), (atBound.Outcome, atBound.ResyncReason));
        Assert.Equal(IntakeOutcome.Applied, _intake.Accept(Ready(3, 2) with { Sequence = 2 + ActivityOptions.DefaultMaxSequenceJump }).Outcome);
    }

    [Theory]
    [InlineData(long.MaxValue, "s", "sequence must be from 1 to 9007199254740991")]
    [InlineData(GatewayActivity.MaxSequence + 1, "s", "sequence must be from 1 to")]
    [InlineData(1, "s{nul}", "session contains a NUL character")]
    [InlineData(1, "s{lone surrogate}", "session contains an unpaired UTF-16 surrogate")]
    public void Should_refuse_a_sequence_where_the_next_would_overflow_and_a_session_text_cannot_hold(long sequence, string session, string reason)
    {
        var e = Resync(1) with { Sequence = sequence, Session = session.Replace("{nul}", "\0", StringComparison.Ordinal).Replace("{lone surrogate}", "\ud800", StringComparison.Ordinal) };
        Assert.StartsWith(reason, GatewayActivity.Shape(e), StringComparison.Ordinal);
        Assert.Equal(IntakeOutcome.Refused, _intake.Accept(e).Outcome);
        Assert.Null(GatewayActivity.Shape(Resync(1) with { Sequence = GatewayActivity.MaxSequence }));
    }
}
