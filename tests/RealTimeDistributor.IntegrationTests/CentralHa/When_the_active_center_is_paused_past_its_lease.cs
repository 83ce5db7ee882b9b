using System.Diagnostics;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.CentralHa;

/// <summary>
/// Issue 27: the active center is frozen (SIGSTOP) for twice its lease, then woken (SIGCONT). The standby takes over under
/// a new epoch; the woken center publishes nothing (a tap on the central exchanges sees no message of its epoch after
/// the wake), steps down and still takes admin edits; and a batch of its epoch that did get out would be ignored by the
/// site's distributor.
/// </summary>
public sealed class When_the_active_center_is_paused_past_its_lease(ITestOutputHelper output) : CentralPairTest
{
    [Fact]
    public async Task Should_let_the_standby_take_over_and_the_woken_center_publish_nothing()
    {
        await using var tap = await CentralTap.OpenAsync(Rtd);
        await A.SignalAsync("-STOP");
        var paused = Stopwatch.StartNew();
        var epoch = await B.WaitHolderAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"central takeover after SIGSTOP: {paused.Elapsed.TotalSeconds:F2} s (lease {Lease.TotalSeconds:F0} s)");
        Assert.True(epoch > FirstEpoch, $"the standby took over at epoch {epoch}, not above {FirstEpoch}");
        Assert.Equal(System.Net.HttpStatusCode.OK, await B.PutAsync("agent", 100, new { name = "Renamed during the pause", peripheralId = 1 }));
        await View.WaitForAsync(SiteUpdate.ConfigKind, "agent", "100", r => r.Value?.GetProperty("name").GetString() == "Renamed during the pause", TimeSpan.FromSeconds(60));
        if (2 * Lease - paused.Elapsed is { Ticks: > 0 } rest)
        {
            await Task.Delay(rest); // the scenario itself: frozen for twice the lease
        }
        var beforeWake = await tap.DrainAsync(); // all the frozen center had sent before the pause is in here

        await A.SignalAsync("-CONT");
        var wokenAt = DateTimeOffset.UtcNow;
        await Eventually.Until(A.LeaseAsync, l => l is { Holder: false }, "the woken center to step down", TimeSpan.FromSeconds(30));
        Assert.Equal(System.Net.HttpStatusCode.OK, await A.PutAsync("agent", 101, new { name = "Edited through the woken center", peripheralId = 1 }));
        await View.WaitForAsync(SiteUpdate.ConfigKind, "agent", "101", r => r.Value?.GetProperty("name").GetString() == "Edited through the woken center",
            TimeSpan.FromSeconds(60));
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7", r => r.UpdatedAt > wokenAt.AddSeconds(1), TimeSpan.FromSeconds(60));
        var afterWake = await tap.DrainAsync();

        Assert.Contains(beforeWake, m => m.Epoch == epoch);
        Assert.Contains(afterWake, m => m.Exchange == Topology.Central.ConfigExchange && m.Epoch == epoch);
        Assert.Contains(afterWake, m => m.Exchange == Topology.Central.RealTimeExchange && m.Epoch == epoch);
        Assert.All(afterWake, m => Assert.Equal(epoch, m.Epoch)); // nothing from the woken center

        // what the alert rules read: the holder's gauge is 1, the woken one's 0; the takeover counted where it happened
        var holder = await B.MetricsAsync();
        var woken = await A.MetricsAsync();
        Assert.Matches(@"(?m)^rtd_central_lease_holder\{[^}]*\} 1( |$)", holder);
        Assert.Matches(@"(?m)^rtd_central_takeovers_total\{[^}]*\} 1( |$)", holder);
        Assert.Matches(@"(?m)^rtd_central_lease_holder\{[^}]*\} 0( |$)", woken);

        // had a batch of the old epoch got out (published between its check and its pause), the site ignores it
        var ignored = Fence.Ignored;
        var sentAt = DateTimeOffset.UtcNow;
        var forged = Json.ToElement(new { callsQueued = 0, callsOfferedToday = -1 });
        await tap.PublishAsync(new RealTimeRowsPublished(RealTimeTables.CallType, false, DateTimeOffset.UtcNow,
            [new RealTimeRow("7", DateTimeOffset.UtcNow.AddMinutes(1).UtcTicks, DateTimeOffset.UtcNow, forged)], FirstEpoch));
        await Eventually.Until(() => Task.FromResult(Fence.Ignored), i => i > ignored, "the distributor to ignore the old epoch's batch", TimeSpan.FromSeconds(30));
        var rowAfter = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7", r => r.UpdatedAt > sentAt, TimeSpan.FromSeconds(30));
        Assert.True(CallsOfferedToday(rowAfter) >= 0);
        Assert.Equal(0L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM realtime_row WHERE (data->>'callsOfferedToday')::bigint < 0"));
    }
}
