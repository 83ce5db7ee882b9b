using System.Text.Json;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using static RealTimeDistributor.Tests.Central.Statistics.StatisticsHarness;

namespace RealTimeDistributor.Tests.Central.Statistics;

/// <summary>
/// docs/statistics.md, "Measures", checked against a hand computation on a scripted hour, 2026-03-29 00:20-01:20 UTC:
/// it crosses the :30 and :00 half hours, midnight in Cape Verde (UTC-1, peripheral 1) and the daylight-saving
/// change in Paris (peripheral 2: 02:00 local becomes 03:00 at 01:00 UTC); call types follow the center's zone (UTC).
/// Each peripheral gets the same script: one agent, seven calls of its own call type (20 s service level).
/// </summary>
public sealed class When_a_scripted_hour_is_measured
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-03-29T00:20:00Z");

    private static readonly StatisticsConfiguration Center = new(
        [1, 3],
        [new ConfiguredSkillGroup(10, 1), new ConfiguredSkillGroup(20, 2)],
        [new ConfiguredMember(1, 10), new ConfiguredMember(3, 20)],
        [new ConfiguredCallType(7, 20), new ConfiguredCallType(8, 20)],
        [new ConfiguredService(100, 1), new ConfiguredService(200, 2)],
        new Dictionary<long, long> { [1] = 1, [3] = 2 },
        new Dictionary<long, TimeZoneInfo>
        {
            [1] = TimeZoneInfo.FindSystemTimeZoneById("Atlantic/Cape_Verde"),
            [2] = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris"),
        });

    /// <summary>The script of one peripheral: agent <paramref name="agent"/> of skill group <paramref name="group"/>, calls of <paramref name="callType"/> numbered from <paramref name="firstCall"/>.</summary>
    private static IEnumerable<ActivityEvent> Script(long agent, long group, long callType, long firstCall)
    {
        DateTimeOffset At(string time) => ManualClock.At($"2026-03-29T{time}Z");
        AgentStateChanged State(string time, string state, int reason = 0) => new(At(time), agent, state, reason, state is AgentStates.Ready or AgentStates.NotReady ? null : group);
        var (c1, c2, c3, c4, c5, c6, c7) = (firstCall, firstCall + 1, firstCall + 2, firstCall + 3, firstCall + 4, firstCall + 5, firstCall + 6);
        return
        [
            State("00:20:00", AgentStates.Ready),
            new CallOffered(At("00:21:00"), c1, callType, group),       // answered after 10 s: within the service level
            new CallAnswered(At("00:21:10"), c1, agent), State("00:21:10", AgentStates.Talking),
            new CallCompleted(At("00:24:10"), c1), State("00:24:10", AgentStates.WrapUp),
            State("00:24:40", AgentStates.Ready),                       // handled: 180 s talk + 30 s wrap-up
            new CallOffered(At("00:25:00"), c2, callType, group),
            new CallAbandoned(At("00:25:03"), c2),                      // after 3 s: a short abandon
            new CallOffered(At("00:26:00"), c3, callType, group),
            new CallAbandoned(At("00:26:15"), c3),                      // after 15 s: abandoned within the service level
            new CallOffered(At("00:28:00"), c4, callType, group),
            new CallAbandoned(At("00:28:50"), c4),                      // after 50 s: missed the service level at 00:28:20
            new CallOffered(At("00:29:50"), c5, callType, group),       // offered in one half hour, answered in the next
            new CallAnswered(At("00:30:20"), c5, agent), State("00:30:20", AgentStates.Talking),
            new CallCompleted(At("00:32:20"), c5), State("00:32:20", AgentStates.WrapUp),
            State("00:33:00", AgentStates.Ready),                       // handled: 160 s
            new CallOffered(At("00:59:55"), c6, callType, group),
            new CallAnswered(At("01:00:05"), c6, agent), State("01:00:05", AgentStates.Talking),
            new CallCompleted(At("01:02:05"), c6), State("01:02:05", AgentStates.WrapUp),
            State("01:02:35", AgentStates.NotReady, 3),                 // handled when wrap-up ends: 150 s
            new CallOffered(At("01:10:00"), c7, callType, group),       // still waiting at the end
        ];
    }

    private static readonly ActivityEvent[] Hour = [.. Script(1, 10, 7, 1).Concat(Script(3, 20, 8, 101)).OrderBy(e => e.At)];

    private static IReadOnlyList<TableRows> Measure(string until, ServiceLevelAbandons treatment = ServiceLevelAbandons.Negative)
    {
        var clock = new ManualClock(Start);
        var engine = new StatisticsEngine(new VersionClock(clock), clock, new StatisticsRules(TimeSpan.FromSeconds(5), treatment));
        engine.Configure(Center, Start);
        var end = ManualClock.At($"2026-03-29T{until}Z");
        foreach (var activity in Hour.Where(e => e.At <= end))
        {
            engine.Apply(activity);
        }
        clock.Now = end;
        return engine.Collect(end, fullRefresh: true);
    }

    private static double? Number(IReadOnlyList<TableRows> tables, string table, long key, string column) =>
        Column(tables, table, key, column) is { ValueKind: JsonValueKind.Number } n ? n.GetDouble() : null;

    /// <summary>offered, answered, handled, abandoned, short, SL offered, SL calls, SL abandoned, ASA, AHT, SL, abandon rate.</summary>
    private static void Window(IReadOnlyList<TableRows> tables, string table, long key, string window,
        long offered, long answered, long handled, long abandoned, long shortAbandoned, long serviceLevelOffered, long serviceLevelCalls,
        long serviceLevelAbandoned, double? asa, double? aht, double? serviceLevel, double? abandonRate)
    {
        Assert.Equal(
            (offered, answered, handled, abandoned, shortAbandoned, serviceLevelOffered, serviceLevelCalls, serviceLevelAbandoned, asa, aht, serviceLevel, abandonRate),
            (Long(tables, table, key, "callsOffered" + window), Long(tables, table, key, "callsAnswered" + window),
                Long(tables, table, key, "callsHandled" + window), Long(tables, table, key, "callsAbandoned" + window),
                Long(tables, table, key, "shortAbandoned" + window), Long(tables, table, key, "serviceLevelCallsOffered" + window),
                Long(tables, table, key, "serviceLevelCalls" + window), Long(tables, table, key, "serviceLevelAbandoned" + window),
                Number(tables, table, key, "averageSpeedOfAnswer" + window), Number(tables, table, key, "averageHandleTime" + window),
                Number(tables, table, key, "serviceLevel" + window), Number(tables, table, key, "abandonRate" + window)));
    }

    /// <summary>An agent's calls answered, handled and AHT in the half hour and today: (answered, handled, AHT) each.</summary>
    private static void Agent(IReadOnlyList<TableRows> tables, long agent, (long, long, double?) half, (long, long, double?) today) =>
        Assert.Equal((half, today),
            ((Long(tables, RealTimeTables.Agent, agent, "callsAnsweredHalf"), Long(tables, RealTimeTables.Agent, agent, "callsHandledHalf"),
                Number(tables, RealTimeTables.Agent, agent, "averageHandleTimeHalf")),
            (Long(tables, RealTimeTables.Agent, agent, "callsAnsweredToday"), Long(tables, RealTimeTables.Agent, agent, "callsHandledToday"),
                Number(tables, RealTimeTables.Agent, agent, "averageHandleTimeToday"))));

    [Fact]
    public void Should_count_each_agents_calls_in_its_peripherals_half_hour_and_day()
    {
        // c1 answered at 00:21:10 and handled at 00:24:40 (210 s)
        Agent(Measure("00:29:59"), 1, (1, 1, 210.0), (1, 1, 210.0));
        // c5 answered at 00:30:20, in the new half hour; its wrap-up has not ended
        Agent(Measure("00:30:30"), 3, (1, 0, null), (2, 1, 210.0));
        var midnight = Measure("01:00:30");
        // Cape Verde (agent 1): local midnight at 01:00 UTC, the day starts again with c6 (answered 01:00:05)
        Agent(midnight, 1, (1, 0, null), (1, 0, null));
        // Paris (agent 3): a new half hour at 03:00 local, the same day: c1 210 s, c5 160 s handled
        Agent(midnight, 3, (1, 0, null), (3, 2, 185.0));
        // c6 handled when its wrap-up ended at 01:02:35 (150 s)
        Agent(Measure("01:20:00"), 3, (1, 1, 150.0), (3, 3, 173.3));
    }

    [Fact]
    public void Should_count_the_first_half_hour_and_the_rolling_five_minutes()
    {
        var tables = Measure("00:29:59");
        foreach (var (table, key) in new[] { (RealTimeTables.CallType, 7L), (RealTimeTables.SkillGroup, 10L), (RealTimeTables.SkillGroup, 20L), (RealTimeTables.Service, 200L) })
        {
            // c1-c5 offered; c1 answered (10 s) and handled (210 s); c2 short; c3 abandoned within, c4 after the threshold
            Window(tables, table, key, "Half", 5, 1, 1, 2, 1, 3, 1, 1, 10.0, 210.0, 0.3333, 0.5);
            Window(tables, table, key, "Today", 5, 1, 1, 2, 1, 3, 1, 1, 10.0, 210.0, 0.3333, 0.5);
            // after 00:24:59: c2-c5 offered, c2 short, c3 and c4 abandoned
            Window(tables, table, key, "To5", 4, 0, 0, 2, 1, 2, 0, 1, null, null, 0.0, 0.6667);
            Assert.Equal(1, Long(tables, table, key, "callsQueuedNow"));
            Assert.Equal(ManualClock.At("2026-03-29T00:29:50Z"), Column(tables, table, key, "longestInQueueSince").GetDateTimeOffset());
        }
    }

    [Theory]
    [InlineData(ServiceLevelAbandons.Negative, 0.3333, 0.25)]
    [InlineData(ServiceLevelAbandons.Ignore, 0.5, 0.3333)]
    [InlineData(ServiceLevelAbandons.Positive, 0.6667, 0.5)]
    public void Should_treat_abandons_in_the_service_level_as_configured(ServiceLevelAbandons treatment, double halfAt2959, double todayAt3030)
    {
        var measured = Measure("00:29:59", treatment);
        Assert.Equal(halfAt2959, Number(measured, RealTimeTables.CallType, 7, "serviceLevelHalf"));
        // the row names its treatment (ICM ServiceLevelType), so a reader summing rows computes a total the same way
        Assert.Equal((long)treatment, Long(measured, RealTimeTables.CallType, 7, "serviceLevelType"));
        Assert.Equal((long)treatment, Long(measured, RealTimeTables.SkillGroup, 10, "serviceLevelType"));
        // c5 answered after 30 s joins: 1 met of 4 offered, 1 abandoned within
        Assert.Equal(todayAt3030, Number(Measure("00:30:30", treatment), RealTimeTables.CallType, 7, "serviceLevelToday"));
    }

    [Fact]
    public void Should_start_a_new_half_hour_at_30_and_count_each_event_at_its_own_time()
    {
        var tables = Measure("00:30:30");
        // c5: its threshold passed at 00:30:10 (service level offered), answered at 00:30:20 after 30 s
        Window(tables, RealTimeTables.CallType, 7, "Half", 0, 1, 0, 0, 0, 1, 0, 0, 30.0, null, 0.0, null);
        Window(tables, RealTimeTables.CallType, 7, "Today", 5, 2, 1, 2, 1, 4, 1, 1, 20.0, 210.0, 0.25, 0.5);
        Assert.Equal(0, Long(tables, RealTimeTables.SkillGroup, 10, "callsQueuedNow"));
        Assert.Equal(JsonValueKind.Null, Column(tables, RealTimeTables.SkillGroup, 10, "longestInQueueSince").ValueKind);
        Assert.Equal(JsonValueKind.Null, Column(tables, RealTimeTables.SkillGroup, 10, "longestAvailableSince").ValueKind);

        tables = Measure("00:59:59");
        Window(tables, RealTimeTables.SkillGroup, 20, "Half", 1, 1, 1, 0, 0, 1, 0, 0, 30.0, 160.0, 0.0, 0.0);
        Window(tables, RealTimeTables.SkillGroup, 20, "To5", 1, 0, 0, 0, 0, 0, 0, 0, null, null, null, 0.0);
        Assert.Equal(ManualClock.At("2026-03-29T00:33:00Z"), Column(tables, RealTimeTables.SkillGroup, 20, "longestAvailableSince").GetDateTimeOffset());
        Assert.Equal(ManualClock.At("2026-03-29T00:33:00Z"), Column(tables, RealTimeTables.Service, 200, "longestAvailableSince").GetDateTimeOffset());
        Assert.False(Row(tables, RealTimeTables.CallType, 7).Data.TryGetProperty("longestAvailableSince", out _));
        Assert.Equal(1, Long(tables, RealTimeTables.SkillGroup, 20, "agentsReady"));
    }

    [Fact]
    public void Should_roll_the_day_at_local_midnight_and_not_at_a_daylight_saving_change()
    {
        var tables = Measure("01:00:30");
        // UTC (call type 7): a new half hour at 01:00, the day goes on: c1-c6 offered, c1, c5, c6 answered (10, 30, 10 s)
        Window(tables, RealTimeTables.CallType, 7, "Half", 0, 1, 0, 0, 0, 1, 1, 0, 10.0, null, 1.0, null);
        Window(tables, RealTimeTables.CallType, 7, "Today", 6, 3, 2, 2, 1, 5, 2, 1, 16.7, 185.0, 0.4, 0.4);
        // Cape Verde (skill group 10, service 100): 01:00 UTC is local midnight: Today starts again
        Window(tables, RealTimeTables.SkillGroup, 10, "Today", 0, 1, 0, 0, 0, 1, 1, 0, 10.0, null, 1.0, null);
        Window(tables, RealTimeTables.Service, 100, "Today", 0, 1, 0, 0, 0, 1, 1, 0, 10.0, null, 1.0, null);
        // Paris (skill group 20): 02:00 local became 03:00: a new half hour at 03:00, the same day
        Window(tables, RealTimeTables.SkillGroup, 20, "Half", 0, 1, 0, 0, 0, 1, 1, 0, 10.0, null, 1.0, null);
        Window(tables, RealTimeTables.SkillGroup, 20, "Today", 6, 3, 2, 2, 1, 5, 2, 1, 16.7, 185.0, 0.4, 0.4);
    }

    [Fact]
    public void Should_show_the_queue_the_agent_and_the_end_of_the_hour()
    {
        var tables = Measure("01:20:00");
        // c7 waits since 01:10:00 and missed the service level at 01:10:20; c6 handled at 01:02:35 (150 s)
        Window(tables, RealTimeTables.SkillGroup, 20, "Half", 1, 1, 1, 0, 0, 2, 1, 0, 10.0, 150.0, 0.5, 0.0);
        Window(tables, RealTimeTables.SkillGroup, 20, "To5", 0, 0, 0, 0, 0, 0, 0, 0, null, null, null, null);
        Window(tables, RealTimeTables.CallType, 8, "Today", 7, 3, 3, 2, 1, 6, 2, 1, 16.7, 173.3, 0.3333, 0.3333);
        Assert.Equal(1, Long(tables, RealTimeTables.SkillGroup, 20, "callsQueuedNow"));
        Assert.Equal(ManualClock.At("2026-03-29T01:10:00Z"), Column(tables, RealTimeTables.SkillGroup, 20, "longestInQueueSince").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, Column(tables, RealTimeTables.SkillGroup, 20, "longestAvailableSince").ValueKind);
        Assert.Equal("not-ready", Column(tables, RealTimeTables.Agent, 3, "state").GetString());
        Assert.Equal(3, Long(tables, RealTimeTables.Agent, 3, "reasonCode"));
        Assert.Equal(ManualClock.At("2026-03-29T01:02:35Z"), Column(tables, RealTimeTables.Agent, 3, "stateSince").GetDateTimeOffset());
        Assert.Equal(1, Long(tables, RealTimeTables.SkillGroup, 20, "agentsNotReady"));
    }
}
