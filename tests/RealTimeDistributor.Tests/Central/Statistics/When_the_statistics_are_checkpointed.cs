using System.Text.Json;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Central.Statistics;

/// <summary>Issue 27: a new active center restores the window counters the old one checkpointed, through their JSON.</summary>
public sealed class When_the_statistics_are_checkpointed
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T10:00:00Z");

    private static StatisticsEngine Engine()
    {
        var clock = new ManualClock(Start);
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        engine.Configure(StatisticsConfiguration.Synthetic(100), Start);
        return engine;
    }

    private static JsonElement CallType(StatisticsEngine engine, DateTimeOffset at, string key) =>
        engine.Collect(at, fullRefresh: true).Single(t => t.Table == RealTimeTables.CallType).Rows.Single(r => r.Key == key).Data;

    [Fact]
    public void Should_go_on_from_the_checkpointed_half_hour_today_and_five_minutes()
    {
        var old = Engine();
        for (var call = 1; call <= 30; call++)
        {
            old.Apply(new CallOffered(Start.AddSeconds(call), call, 3, 1));
        }
        old.Apply(new CallAnswered(Start.AddSeconds(40), 1, 1));
        old.Apply(new CallAbandoned(Start.AddSeconds(41), 2));
        var before = CallType(old, Start.AddSeconds(50), "3");

        var saved = JsonSerializer.Serialize(old.Export(), Json.Options);
        var taker = Engine();
        taker.Restore(JsonSerializer.Deserialize<StatisticsCheckpoint>(saved, Json.Options));
        var after = CallType(taker, Start.AddSeconds(50), "3");

        foreach (var column in new[] { "callsOfferedTo5", "callsOfferedHalf", "callsOfferedToday", "callsAnsweredToday", "callsAbandonedToday", "callsAnsweredHalf" })
        {
            Assert.Equal(before.GetProperty(column).GetInt64(), after.GetProperty(column).GetInt64());
        }
        Assert.Equal(30, after.GetProperty("callsOfferedToday").GetInt64());
        Assert.Equal(0, after.GetProperty("callsQueuedNow").GetInt32()); // calls in progress come back with the gateways' resync
        // the rolling window still rolls: five minutes later the checkpointed calls have left it, today keeps them
        var later = CallType(taker, Start.AddMinutes(5).AddSeconds(45), "3");
        Assert.Equal(0, later.GetProperty("callsOfferedTo5").GetInt64());
        Assert.Equal(30, later.GetProperty("callsOfferedToday").GetInt64());
    }

    private static JsonElement Agent(StatisticsEngine engine, DateTimeOffset at, string key) =>
        engine.Collect(at, fullRefresh: true).Single(t => t.Table == RealTimeTables.Agent).Rows.Single(r => r.Key == key).Data;

    [Fact]
    public void Should_go_on_from_each_agents_checkpointed_calls()
    {
        var old = Engine();
        old.Apply(new AgentStateChanged(Start, 1, AgentStates.Ready, 0, null));
        old.Apply(new CallOffered(Start.AddSeconds(1), 1, 3, 1));
        old.Apply(new CallAnswered(Start.AddSeconds(5), 1, 1));
        old.Apply(new CallCompleted(Start.AddSeconds(65), 1));
        old.Apply(new AgentStateChanged(Start.AddSeconds(95), 1, AgentStates.Ready, 0, null)); // wrap-up over: handled in 90 s
        old.Apply(new CallOffered(Start.AddSeconds(96), 2, 3, 1));
        old.Apply(new CallAnswered(Start.AddSeconds(97), 2, 1));
        var was = Agent(old, Start.AddSeconds(98), "1");
        Assert.Equal(2, was.GetProperty("callsAnsweredToday").GetInt64());
        Assert.Equal(90, was.GetProperty("averageHandleTimeToday").GetDouble());
        var saved = JsonSerializer.Serialize(old.Export(), Json.Options);

        StatisticsEngine TakeOver(string checkpoint)
        {
            var taker = Engine();
            taker.Restore(JsonSerializer.Deserialize<StatisticsCheckpoint>(checkpoint, Json.Options));
            taker.Apply(new AgentStateChanged(Start.AddSeconds(120), 1, AgentStates.Talking, 0, 1)); // the gateway's resync
            return taker;
        }
        var agent = Agent(TakeOver(saved), Start.AddSeconds(121), "1");
        foreach (var column in new[] { "callsAnsweredHalf", "callsAnsweredToday", "callsHandledHalf", "callsHandledToday" })
        {
            Assert.Equal(was.GetProperty(column).GetInt64(), agent.GetProperty(column).GetInt64());
        }
        Assert.Equal(90, agent.GetProperty("averageHandleTimeHalf").GetDouble());

        // a checkpoint written before agents were in it: their counts start from zero, the groups' still go on
        var before = System.Text.Json.Nodes.JsonNode.Parse(saved)!.AsObject();
        Assert.True(before.Remove("agents"));
        var legacy = TakeOver(before.ToJsonString());
        Assert.Equal(0, Agent(legacy, Start.AddSeconds(121), "1").GetProperty("callsAnsweredToday").GetInt64());
        Assert.Equal(2, CallType(legacy, Start.AddSeconds(121), "3").GetProperty("callsAnsweredToday").GetInt64());
    }

    [Fact]
    public void Should_keep_only_agents_with_calls_in_the_checkpoint()
    {
        var engine = Engine();
        engine.Apply(new CallOffered(Start.AddSeconds(1), 1, 3, 1));
        engine.Apply(new CallAnswered(Start.AddSeconds(5), 1, 7));
        var periods = Assert.Single(engine.Export().Agents!);
        Assert.Equal([7L], periods.Calls.Keys);
        Assert.Equal([1L, 0, 0, 1, 0, 0], periods.Calls[7]); // answered, handled, handle ms of the half hour, then of the day
    }

    [Fact]
    public void Should_keep_a_skill_group_in_its_peripherals_time_zone_through_a_restore()
    {
        var paris = new StatisticsConfiguration([1], [new ConfiguredSkillGroup(10, 1)], [new ConfiguredMember(1, 10)], [new ConfiguredCallType(7, 20)], [],
            new Dictionary<long, long> { [1] = 1 }, new Dictionary<long, TimeZoneInfo> { [1] = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris") });
        StatisticsEngine Center()
        {
            var clock = new ManualClock(Start);
            var engine = new StatisticsEngine(new VersionClock(clock), clock);
            engine.Configure(paris, Start);
            return engine;
        }
        var old = Center();
        old.Apply(new CallOffered(Start.AddSeconds(1), 1, 7, 10));
        var taker = Center();
        taker.Restore(old.Export());
        // the configuration is read again (RealTime:ConfigurationRefresh): the group's zone is unchanged, so are its counts
        taker.Configure(paris, Start.AddSeconds(30));
        var group = taker.Collect(Start.AddSeconds(31), fullRefresh: true).Single(t => t.Table == RealTimeTables.SkillGroup).Rows.Single(r => r.Key == "10").Data;
        Assert.Equal(1, group.GetProperty("callsOfferedToday").GetInt64());
    }

    [Fact]
    public void Should_start_from_zero_without_a_checkpoint_and_reset_a_half_hour_that_ended_since()
    {
        var old = Engine();
        old.Apply(new CallOffered(Start.AddSeconds(1), 1, 3, 1));
        var saved = old.Export();

        var fresh = Engine();
        fresh.Restore(null);
        Assert.Equal(0, CallType(fresh, Start.AddSeconds(2), "3").GetProperty("callsOfferedToday").GetInt64());

        var taker = Engine();
        taker.Restore(saved);
        var nextHalf = CallType(taker, Start.AddMinutes(31), "3");
        Assert.Equal(0, nextHalf.GetProperty("callsOfferedHalf").GetInt64());
        Assert.Equal(1, nextHalf.GetProperty("callsOfferedToday").GetInt64());
    }
}
