using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.CentralHa;

/// <summary>
/// Issue 27: the active center is killed (SIGKILL) in the middle of an edit burst sent to both centers' admin APIs, while
/// it feeds real-time rows. The standby takes over once the lease has expired: every acknowledged edit reaches the site
/// replica and the client view exactly once in a gapless sequence, real-time rows flow again under the new epoch, and
/// today's counts go on from the statistics checkpoint instead of zero. The takeover time is printed.
/// </summary>
public sealed class When_the_active_center_is_killed_during_an_edit_burst(ITestOutputHelper output) : CentralPairTest
{
    private const int Burst = 400;

    [Fact]
    public async Task Should_let_the_standby_take_over_with_every_acknowledged_edit_once_and_real_time_fresh()
    {
        var before = await CentralBacklog.QueryCentralAsync<long>(Rtd.CentralDatabase, "SELECT last_value FROM config_sequence");
        var acknowledged = new ConcurrentDictionary<long, string>();
        var quarter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Task.Run(async () =>
        {
            for (var i = 0; i < Burst; i++)
            {
                var (id, name) = (2000 + i, $"Burst {i}");
                // alternately through either center; an edit sent to the killed one gets no answer and is not acknowledged
                if (await (i % 2 == 0 ? A : B).PutAsync("agent", id, new { name, peripheralId = 1 }) == HttpStatusCode.OK)
                {
                    acknowledged[id] = name;
                }
                if (acknowledged.Count >= Burst / 4)
                {
                    quarter.TrySetResult();
                }
            }
        });
        await quarter.Task.WaitAsync(TimeSpan.FromSeconds(120));

        A.Process.Kill(entireProcessTree: true); // SIGKILL: no graceful stop, the lease is left to expire
        var killedAt = DateTimeOffset.UtcNow;
        var sinceKill = Stopwatch.StartNew();
        await A.Process.WaitForExitAsync();
        var checkpointAtKill = await CheckpointOfferedTodayAsync();
        var epoch = await B.WaitHolderAsync(TimeSpan.FromSeconds(60));
        var takeover = sinceKill.Elapsed;
        var fresh = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7", r => r.UpdatedAt > killedAt, TimeSpan.FromSeconds(60));
        var freshAfter = sinceKill.Elapsed;
        await burst.WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine($"central takeover after kill -9: lease taken in {takeover.TotalSeconds:F2} s, real-time fresh at the client in {freshAfter.TotalSeconds:F2} s "
            + $"(lease {Lease.TotalSeconds:F0} s); {acknowledged.Count} of {Burst} edits acknowledged");

        var last = await CentralBacklog.QueryCentralAsync<long>(Rtd.CentralDatabase, "SELECT last_value FROM config_sequence");
        await Rtd.WaitAppliedAsync(Site, last, TimeSpan.FromMinutes(2));
        Assert.True(epoch > FirstEpoch, $"the standby took over at epoch {epoch}, not above {FirstEpoch}");
        Assert.Equal(epoch, Fence.Highest);
        // every change of the burst applied exactly once, none missing: the sequence is gapless
        Assert.Equal(last - before, await Rtd.QueryReplicaAsync<long>(Site, $"SELECT count(*) FROM config_apply_log WHERE central_sequence > {before}"));
        Assert.Equal(last - before, await Rtd.QueryReplicaAsync<long>(Site, $"SELECT count(DISTINCT central_sequence) FROM config_apply_log WHERE central_sequence > {before}"));
        Assert.Equal(last, await Rtd.QueryReplicaAsync<long>(Site, "SELECT max(central_sequence) FROM config_apply_log"));
        Assert.Equal(await CentralBacklog.AgentsAsync(Rtd.CentralDatabase), await CentralBacklog.AgentsAsync(Rtd.ReplicaDatabase(Site)));
        await Eventually.Until(() => Task.FromResult(View.LastSiteSequence), s => s >= last, "the client to reach the central sequence", TimeSpan.FromSeconds(60));
        foreach (var (id, name) in acknowledged)
        {
            Assert.Equal(name, View.Find(SiteUpdate.ConfigKind, "agent", id.ToString(System.Globalization.CultureInfo.InvariantCulture))?.Value?.GetProperty("name").GetString());
        }
        Assert.Equal(0, View.Gaps);
        // today's counts went on from the checkpoint, not from zero
        Assert.True(checkpointAtKill > 0, "no checkpoint with offered calls before the kill");
        Assert.True(CallsOfferedToday(fresh) >= checkpointAtKill, $"offered today restarted: {CallsOfferedToday(fresh)} after the takeover, {checkpointAtKill} in the checkpoint");
    }
}
