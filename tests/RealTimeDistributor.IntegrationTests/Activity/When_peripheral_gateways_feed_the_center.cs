using System.Collections.Concurrent;
using System.Diagnostics;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Activity;

/// <summary>
/// Peripheral gateways feed the center over the broker (issue 16): two simulated peripherals, numbers on a client's view
/// against a computation done here from the same events; a gap, a duplicate and a resync; a gateway process killed
/// (offline) and restarted (a new session, back online).
/// </summary>
public sealed class When_peripheral_gateways_feed_the_center : ActivityTest
{
    [Fact]
    public async Task Should_show_on_a_client_the_statistics_computed_independently_from_two_peripherals_events()
    {
        await ConfigureTwoPeripheralsAsync();
        var sent = new ConcurrentQueue<PeripheralEvent>();
        using var stop = new CancellationTokenSource();
        var runs = new List<Task>();
        var gateways = new List<PeripheralGateway>();
        foreach (var peripheral in new long[] { 1, 2 })
        {
            var gateway = Rtd.NewGateway(peripheral);
            gateway.Sent = sent.Enqueue;
            await gateway.StartAsync(CancellationToken.None);
            gateways.Add(gateway);
            var options = new RealTimeOptions(TimeSpan.FromMilliseconds(200), 30, true, Seed: (int)peripheral, CallsPerSecond: 2, TimeSpan.FromHours(1));
            var simulation = new SimulatedGateway(gateway, options, TimeProvider.System);
            runs.Add(RunUntilStoppedAsync(simulation, stop.Token));
        }
        // both peripherals' agents log on and calls flow: then stop the gateways, and every event sent is known
        foreach (var service in new[] { "50", "60" })
        {
            await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, service,
                r => r.Value?.GetProperty("callsOfferedToday").GetInt64() >= 20 && r.Value?.GetProperty("callsAnsweredToday").GetInt64() >= 1,
                TimeSpan.FromSeconds(60));
        }
        await stop.CancelAsync();
        await Task.WhenAll(runs);
        var events = sent.ToList();
        Assert.Contains(events, e => e.Type == PeripheralEventTypes.CallCompleted);
        await Eventually.Until(() => Task.FromResult(Stats.ActivityApplied), applied => applied == events.Count, $"{events.Count} events applied");

        var rows = new (string Table, string Key, Func<long, long, bool> Counts)[]
        {
            (RealTimeTables.CallType, "7", (type, _) => type == 7),
            (RealTimeTables.CallType, "8", (type, _) => type == 8),
            (RealTimeTables.SkillGroup, "10", (_, group) => group == 10),
            (RealTimeTables.SkillGroup, "20", (_, group) => group == 20),
            (RealTimeTables.Service, "50", (_, group) => group == 10),
            (RealTimeTables.Service, "60", (_, group) => group == 20),
        };
        foreach (var (table, key, counts) in rows)
        {
            // the view has the row the engine computed after the last event: its Today offers equal the events', each
            // figure as of the row's central update time (the service level's missed thresholds move with the clock)
            var row = await View.WaitForAsync(SiteUpdate.RealTimeKind, table, key,
                r => PeripheralFeed.Shown(r.Value!.Value, "Today") == PeripheralFeed.Compute(events, counts, _ => true, _ => ServiceLevelSeconds, r.UpdatedAt),
                TimeSpan.FromSeconds(30));
            foreach (var (window, inWindow) in PeripheralFeed.Windows(row.UpdatedAt))
            {
                Assert.Equal(PeripheralFeed.Compute(events, counts, inWindow, _ => ServiceLevelSeconds, row.UpdatedAt),
                    PeripheralFeed.Shown(row.Value!.Value, window));
            }
            Assert.Equal(0, row.Value!.Value.GetProperty("callsQueuedNow").GetInt32() - QueuedAtEnd(events, counts));
        }
        // every agent shows the state its peripheral last reported (logged out when it never logged on)
        foreach (var agent in new long[] { 100, 101, 102, 103, 200, 201, 202, 203 })
        {
            var last = events.LastOrDefault(e => e.Type == PeripheralEventTypes.AgentState && e.AgentId == agent)?.State ?? AgentStates.LoggedOut;
            Assert.Equal(last, Live(RealTimeTables.Agent, $"{agent}").GetProperty("state").GetString());
        }
        Assert.Equal(0, Stats.ActivityRefused);
        Assert.Equal(0, Stats.ActivityDuplicates);
        foreach (var gateway in gateways)
        {
            await gateway.DisposeAsync();
        }
    }

    [Fact]
    public async Task Should_drop_a_duplicate_and_on_a_gap_flag_the_peripheral_uncertain_and_ask_for_the_resync_that_clears_it()
    {
        await ConfigureTwoPeripheralsAsync();
        var (control, requests) = await Rtd.ListenForResyncsAsync(1);
        await using var _ = control;
        var at = DateTimeOffset.UtcNow.AddSeconds(-30);
        PeripheralEvent Agent(long sequence, long agent, string state) =>
            new(1, "s1", sequence, PeripheralEventTypes.AgentState, at.AddSeconds(sequence), AgentId: agent, State: state, ReasonCode: 0);

        await Rtd.PublishRawAsync(1,
            new PeripheralEvent(1, "s1", 1, PeripheralEventTypes.Resync, at, Agents: [new PeripheralAgentState(100, AgentStates.Ready, 0, null, at)], Calls: []),
            Agent(2, 101, AgentStates.Ready),
            Agent(2, 101, AgentStates.NotReady), // a duplicate of sequence 2: dropped, 101 stays ready
            Agent(4, 102, AgentStates.Ready)); // sequence 3 lost
        var uncertain = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "102",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Uncertain, TimeSpan.FromSeconds(30));
        Assert.Equal(AgentStates.Ready, uncertain.Value!.Value.GetProperty("state").GetString());
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Uncertain);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, "50",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Uncertain);
        Assert.Equal(PeripheralStatuses.Online, Live(RealTimeTables.Service, "60").GetProperty("peripheralStatus").GetString());
        Assert.Equal(AgentStates.Ready, Live(RealTimeTables.Agent, "101").GetProperty("state").GetString());
        Assert.Equal(PeripheralStatuses.Online,
            Live(RealTimeTables.Agent, "200").GetProperty("peripheralStatus").GetString());
        await Eventually.Until(() => Task.FromResult(requests.Count), n => n >= 1, "a resync request on peripheral 1's control queue");
        Assert.Contains("gap", requests.First().Reason, StringComparison.Ordinal);
        Assert.Equal(1, Stats.ActivityDuplicates);

        // the resync: 100 talking, 102 ready; 101 is not listed, so it logged out meanwhile
        await Rtd.PublishRawAsync(1, new PeripheralEvent(1, "s1", 5, PeripheralEventTypes.Resync, at.AddSeconds(5),
            Agents: [new PeripheralAgentState(100, AgentStates.Talking, 0, 10, at.AddSeconds(5)), new PeripheralAgentState(102, AgentStates.Ready, 0, null, at)],
            Calls: [new PeripheralCall(77, 7, 10, at.AddSeconds(4), at.AddSeconds(5))]));
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "101",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Online
                && r.Value?.GetProperty("state").GetString() == AgentStates.LoggedOut, TimeSpan.FromSeconds(30));
        Assert.Equal(AgentStates.Talking, Live(RealTimeTables.Agent, "100").GetProperty("state").GetString());
        // the call in progress the resync reported ends as handled; it was not counted as offered again
        await Rtd.PublishRawAsync(1, new PeripheralEvent(1, "s1", 6, PeripheralEventTypes.CallCompleted, at.AddSeconds(6), CallId: 77));
        var callType = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7",
            r => r.Value?.GetProperty("callsHandledToday").GetInt64() == 1, TimeSpan.FromSeconds(30));
        Assert.Equal(0, callType.Value!.Value.GetProperty("callsOfferedToday").GetInt64());
        Assert.Equal(0, Stats.ActivityRefused);
    }

    [Fact]
    public async Task Should_flag_a_killed_gateway_offline_and_show_it_online_again_when_it_restarts_with_a_new_session()
    {
        await ConfigureTwoPeripheralsAsync();
        var first = StartSimulateProcess(1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10",
            r => r.Value?.GetProperty("agentsLoggedOn").GetInt32() > 0 && r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Online,
            TimeSpan.FromSeconds(60));
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();

        // silent for RealTime:PeripheralTimeout: flagged offline, with its last values, instead of looking live
        var offline = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Offline, TimeSpan.FromSeconds(30));
        Assert.True(offline.Value!.Value.GetProperty("agentsLoggedOn").GetInt32() > 0);
        Assert.Equal(PeripheralStatuses.Online, Live(RealTimeTables.SkillGroup, "20").GetProperty("peripheralStatus").GetString());
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, "50",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Offline);

        // the restarted gateway is a new session that begins with a resync: online again, nothing refused
        var second = StartSimulateProcess(1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Online, TimeSpan.FromSeconds(60));
        second.Kill(entireProcessTree: true);
        Assert.Equal(0, Stats.ActivityRefused);
    }

    [Fact]
    public async Task Should_refuse_hostile_events_each_alone_with_its_reason_and_apply_the_good_ones_around_them()
    {
        await ConfigureTwoPeripheralsAsync();
        var now = DateTimeOffset.UtcNow;
        PeripheralEvent Event(long sequence, string type, int secondsAgo = 0) => new(1, "h1", sequence, type, now.AddSeconds(sequence - 100 - secondsAgo));
        var hostile = new object[]
        {
            "this is not json",
            new { peripheralId = 1, session = "h1", sequence = 2, type = "agent-exploded", at = now.AddSeconds(-98) },
            Event(3, PeripheralEventTypes.AgentState) with { AgentId = 999, State = AgentStates.Ready }, // unknown agent
            Event(4, PeripheralEventTypes.AgentState) with { AgentId = 200, State = AgentStates.Ready }, // agent of peripheral 2
            Event(5, PeripheralEventTypes.AgentState) with { AgentId = 101, State = "dancing" },
            Event(6, PeripheralEventTypes.CallOffered) with { CallId = 1, CallTypeId = 99, SkillGroupId = 10 }, // unknown call type
            Event(7, PeripheralEventTypes.CallOffered) with { CallId = 2, CallTypeId = 7, SkillGroupId = 20 }, // another peripheral's group
            Event(8, PeripheralEventTypes.AgentState) with { At = now.AddDays(2), AgentId = 101, State = AgentStates.Ready }, // far future
            Event(9, PeripheralEventTypes.AgentState) with { At = now.AddDays(-2), AgentId = 101, State = AgentStates.Ready }, // far past
            Event(10, PeripheralEventTypes.AgentState, secondsAgo: 50) with { AgentId = 101, State = AgentStates.Ready }, // earlier than sequence 1
        };
        await Rtd.PublishRawAsync(1, new PeripheralEvent(1, "h1", 1, PeripheralEventTypes.Resync, now.AddSeconds(-99), Agents: [], Calls: []));
        await Rtd.PublishRawAsync(1, hostile);
        await Rtd.PublishRawAsync(2, new PeripheralEvent(1, "forged", 1, PeripheralEventTypes.AgentState, now.AddSeconds(-89), AgentId: 101,
            State: AgentStates.Ready)); // peripheral 1's event under peripheral 2's key
        await Rtd.PublishRawAsync(1,
            new PeripheralEvent(1, "h1", 11, PeripheralEventTypes.AgentState, now.AddSeconds(-88), AgentId: 100, State: AgentStates.Ready, ReasonCode: 0),
            new PeripheralEvent(1, "h1", 12, PeripheralEventTypes.CallOffered, now.AddSeconds(-87), CallId: 3, CallTypeId: 7, SkillGroupId: 10),
            new PeripheralEvent(1, "h1", 13, PeripheralEventTypes.CallOffered, now.AddSeconds(-86), CallId: 3, CallTypeId: 7, SkillGroupId: 10)); // offered twice

        const int refused = 12;
        var errorQueue = Topology.ErrorQueue(Topology.Activity.Queue);
        await Eventually.Until(() => QueueReader.ReadyAsync(Rtd.CentralVirtualHost, errorQueue), n => n == refused, $"{refused} refused events in {errorQueue}");
        Assert.Equal(refused, Stats.ActivityRefused);
        var callType = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7",
            r => r.Value?.GetProperty("callsOfferedToday").GetInt64() == 1, TimeSpan.FromSeconds(30));
        Assert.Equal(1, callType.Value!.Value.GetProperty("callsQueuedNow").GetInt32());
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "100", r => r.Value?.GetProperty("state").GetString() == AgentStates.Ready);
        Assert.Equal(AgentStates.LoggedOut, Live(RealTimeTables.Agent, "101").GetProperty("state").GetString());
        Assert.Equal(AgentStates.LoggedOut, Live(RealTimeTables.Agent, "200").GetProperty("state").GetString());
        Assert.Equal(0, Live(RealTimeTables.CallType, "8").GetProperty("callsOfferedToday").GetInt64());
        var reason = (await QueueReader.PeekAsync(Rtd.CentralVirtualHost, errorQueue, TimeSpan.FromSeconds(10)))!.Headers["MT-Fault-Message"];
        Assert.StartsWith("malformed event", reason, StringComparison.Ordinal);
        // the event of an unknown type (sequence 2) is refused before its sequence is taken: a gap, so a resync is asked for
        Assert.Equal(PeripheralStatuses.Uncertain, Live(RealTimeTables.Agent, "100").GetProperty("peripheralStatus").GetString());
    }

    [Fact]
    public async Task Should_compute_from_a_replayed_file_what_is_computed_here_from_the_same_file()
    {
        await ConfigureTwoPeripheralsAsync();
        var t0 = DateTimeOffset.Parse("2026-01-05T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        PeripheralEvent E(long p, long sequence, string type, double seconds) => new(p, $"rec-{p}", sequence, type, t0.AddSeconds(seconds));
        PeripheralAgentState On(long agent) => new(agent, AgentStates.Ready, 0, null, t0);
        var recorded = new List<PeripheralEvent>
        {
            E(1, 1, PeripheralEventTypes.Resync, 0) with { Agents = [On(100), On(101)], Calls = [] },
            E(2, 1, PeripheralEventTypes.Resync, 0) with { Agents = [On(200)], Calls = [] },
            E(1, 2, PeripheralEventTypes.CallOffered, 1) with { CallId = 1, CallTypeId = 7, SkillGroupId = 10 },
            E(1, 3, PeripheralEventTypes.CallOffered, 2) with { CallId = 2, CallTypeId = 7, SkillGroupId = 10 },
            E(1, 4, PeripheralEventTypes.CallOffered, 3) with { CallId = 3, CallTypeId = 7, SkillGroupId = 10 },
            E(2, 2, PeripheralEventTypes.CallOffered, 4) with { CallId = 1, CallTypeId = 7, SkillGroupId = 20 }, // the same id at another ACD
            E(1, 5, PeripheralEventTypes.CallAnswered, 6) with { CallId = 1, AgentId = 100 },
            E(2, 3, PeripheralEventTypes.CallAnswered, 8) with { CallId = 1, AgentId = 200 },
            E(1, 6, PeripheralEventTypes.CallAbandoned, 13) with { CallId = 3 },
            E(1, 7, PeripheralEventTypes.CallCompleted, 20) with { CallId = 1 },
            E(2, 4, PeripheralEventTypes.CallCompleted, 25) with { CallId = 1 },
            E(1, 8, PeripheralEventTypes.CallAnswered, 32) with { CallId = 2, AgentId = 101 },
        };
        var file = Path.Combine(Path.GetTempPath(), $"rtd-feed-{Rtd.Id}.jsonl");
        await File.WriteAllLinesAsync(file, recorded.Select(e => System.Text.Json.JsonSerializer.Serialize(e, Json.Options)));

        // at 1x each event arrives at its moved time: faster, the center's clock would pass the service-level thresholds of
        // calls the file answered in time (docs/statistics.md)
        var replay = StartRtdLab("feed", "replay", file, "--speed", "1x");
        await replay.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, replay.ExitCode);
        File.Delete(file);

        var expected = PeripheralFeed.Compute(recorded, (type, _) => type == 7, _ => true, _ => ServiceLevelSeconds);
        var row = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7",
            r => PeripheralFeed.Shown(r.Value!.Value, "Today") == expected, TimeSpan.FromSeconds(30));
        Assert.Equal(expected, PeripheralFeed.Shown(row.Value!.Value, "To5"));
        Assert.Equal(expected, PeripheralFeed.Shown(row.Value!.Value, "Half"));
        Assert.Equal(PeripheralFeed.Compute(recorded, (_, group) => group == 20, _ => true, _ => ServiceLevelSeconds),
            PeripheralFeed.Shown(Live(RealTimeTables.Service, "60"), "Today"));
        Assert.Equal(0, Stats.ActivityRefused);
    }

    private Process StartSimulateProcess(long peripheral) =>
        StartRtdLab("simulate", "--peripheral", $"{peripheral}", "--central", Rtd.Central.Urls.First(), "--interval", "0.2s", "--calls-per-second", "2");

    /// <summary>rtd-lab (built next to the client) on this system's broker and central vhost, with its reader key.</summary>
    private Process StartRtdLab(params string[] args)
    {
        var rtdLab = Path.Combine(Path.GetDirectoryName(Binaries.Path("RealTimeDistributor.Client"))!
            .Replace("RealTimeDistributor.Client", "RealTimeDistributor.Lab", StringComparison.Ordinal), "rtd-lab.dll");
        var start = new ProcessStartInfo("dotnet", [rtdLab, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        TestSettings.SetBrokerEnvironment(start);
        start.Environment["RTD_RABBITMQ_CENTRAL_VHOST"] = Rtd.CentralVirtualHost;
        start.Environment["RTD_ADMIN_KEY"] = Rtd.ReaderKey;
        return Rtd.Track(Process.Start(start)!);
    }

    private static async Task RunUntilStoppedAsync(SimulatedGateway simulation, CancellationToken stop)
    {
        try
        {
            await simulation.RunAsync(_ => Task.FromResult(TwoPeripherals), stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Calls offered (of the rows' selection) and neither answered nor abandoned when the events end.</summary>
    private static int QueuedAtEnd(IEnumerable<PeripheralEvent> events, Func<long, long, bool> counts)
    {
        var queued = new HashSet<(long, long)>();
        foreach (var e in events)
        {
            if (e.Type == PeripheralEventTypes.CallOffered && counts(e.CallTypeId!.Value, e.SkillGroupId!.Value))
            {
                queued.Add((e.PeripheralId, e.CallId!.Value));
            }
            else if (e.Type is PeripheralEventTypes.CallAnswered or PeripheralEventTypes.CallAbandoned)
            {
                queued.Remove((e.PeripheralId, e.CallId!.Value));
            }
        }
        return queued.Count;
    }
}
