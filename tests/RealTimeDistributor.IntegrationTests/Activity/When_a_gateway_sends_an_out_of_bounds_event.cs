using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Activity;

/// <summary>
/// The broker's intake is as strict as the HTTP one (issue 24: they share the path): an event 2^63 - 1, one far above its
/// session's last sequence and one whose session holds a NUL go, each alone, to the activity error queue with the reason;
/// none takes its place in the sequence, so the session's next genuine event applies (no duplicate, no gap).
/// </summary>
public sealed class When_a_gateway_sends_an_out_of_bounds_event : ActivityTest
{
    [Fact]
    public async Task Should_park_it_alone_with_its_reason_and_apply_the_sessions_next_genuine_event()
    {
        await ConfigureTwoPeripheralsAsync();
        var at = DateTimeOffset.UtcNow.AddSeconds(-30);
        PeripheralEvent Ready(long sequence, long agent, string session = "b1") =>
            new(1, session, sequence, PeripheralEventTypes.AgentState, at.AddSeconds(2), AgentId: agent, State: AgentStates.Ready, ReasonCode: 0);

        await Rtd.PublishRawAsync(1,
            new PeripheralEvent(1, "b1", 1, PeripheralEventTypes.Resync, at, Agents: [], Calls: []),
            Ready(long.MaxValue, 101),
            Ready(2 + ActivityOptions.DefaultMaxSequenceJump, 102),
            Ready(2, 103, session: "b1\0"),
            Ready(2, 100));

        var errorQueue = Topology.ErrorQueue(Topology.Activity.Queue);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "100", r => r.Value?.GetProperty("state").GetString() == AgentStates.Ready,
            TimeSpan.FromSeconds(30));
        var parked = await QueueReader.PeekAllAsync(Rtd.CentralVirtualHost, errorQueue, 3, TimeSpan.FromSeconds(10));
        Assert.Collection(parked,
            m => Assert.StartsWith($"sequence must be from 1 to {GatewayActivity.MaxSequence}", m.Headers["MT-Fault-Message"], StringComparison.Ordinal),
            m => Assert.StartsWith("sequence 1000002 is more than 1,000,000 above the session's last, 1", m.Headers["MT-Fault-Message"], StringComparison.Ordinal),
            m => Assert.StartsWith("event.session contains a NUL character", m.Headers["MT-Fault-Message"], StringComparison.Ordinal));
        Assert.Equal(3u, await QueueReader.ReadyAsync(Rtd.CentralVirtualHost, errorQueue));
        Assert.Equal((3L, 0L), (Stats.ActivityRefused, Stats.ActivityDuplicates));
        Assert.Equal(PeripheralStatuses.Online, Live(RealTimeTables.Agent, "100").GetProperty("peripheralStatus").GetString());
        foreach (var agent in new[] { "101", "102", "103" })
        {
            Assert.Equal(AgentStates.LoggedOut, Live(RealTimeTables.Agent, agent).GetProperty("state").GetString());
        }
    }
}
