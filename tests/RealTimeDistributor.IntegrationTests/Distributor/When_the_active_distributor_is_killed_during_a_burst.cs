using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// A/B redundancy: two distributor processes of one site share its queues (single active consumer) and its replica.
/// The active one is killed (SIGKILL) in the middle of a burst of 10,000 changes; the standby finishes, and the replica
/// equals the central database row for row.
/// </summary>
public sealed class When_the_active_distributor_is_killed_during_a_burst : SystemTest
{
    private const int Burst = 10_000;

    protected override string SiteName => "ab";

    private Task<long> AppliedAsync() => Rtd.AppliedSequenceAsync(Site);

    [Fact]
    public async Task Should_let_the_standby_finish_with_no_change_lost_and_no_row_duplicated()
    {
        await Rtd.EnsureSiteAsync(Site);
        await SeedPeripheralAsync();
        var active = Rtd.StartDistributorProcess(Site, "a");
        // a sync_state row: the replica is created
        await Eventually.Until(AppliedAsync, a => a >= 0, "instance a to create the replica", TimeSpan.FromSeconds(90));
        await Rtd.WaitAppliedAsync(Site, 1, TimeSpan.FromSeconds(90));
        // instance b stands by: it holds no site lease and consumes no central queue, but serves the site's snapshots
        var snapshotQueue = RealTimeDistributor.Hosting.Topology.Site.SnapshotQueue(Site);
        Rtd.StartDistributorProcess(Site, "b");
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(RealTimeDistributor.Hosting.Topology.Site.VirtualHost(Site), snapshotQueue))?.Consumers ?? 0,
            c => c == 2, "both instances on the site's snapshot queue", TimeSpan.FromSeconds(90));

        await CentralBacklog.CommitAgentsAsync(Rtd.CentralDatabase, Burst);
        await Eventually.Until(AppliedAsync, a => a > 1 + Burst / 10, "instance a to be part-way through the burst", TimeSpan.FromSeconds(120));
        active.Kill(entireProcessTree: true); // SIGKILL: no graceful stop, no last ack
        await active.WaitForExitAsync();
        var appliedAtKill = await AppliedAsync();

        await Rtd.WaitAppliedAsync(Site, Burst + 1, TimeSpan.FromMinutes(5)); // the standby finishes the burst

        Assert.True(appliedAtKill < Burst + 1, $"the kill came after the burst was applied ({appliedAtKill})");
        var central = await CentralBacklog.AgentsAsync(Rtd.CentralDatabase);
        var replica = await CentralBacklog.AgentsAsync(Rtd.ReplicaDatabase(Site));
        Assert.Equal(Burst, central.Count);
        Assert.Equal(central, replica);
        // change 1 came with instance a's first-start snapshot; every change of the burst was applied exactly once
        Assert.Equal((long)Burst, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(DISTINCT central_sequence) FROM config_apply_log WHERE central_sequence > 1"));
        Assert.Equal((long)Burst, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM config_apply_log"));
    }
}
