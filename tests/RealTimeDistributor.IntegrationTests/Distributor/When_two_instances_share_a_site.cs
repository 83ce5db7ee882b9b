using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// One active instance per site (docs/architecture.md, "One active instance per site: the lease and its epoch"): the site
/// lease in the replica decides, every commit checks its epoch, and the clients follow the epoch, the stream id and resets.
/// </summary>
public sealed class When_two_instances_share_a_site : SystemTest
{
    private const string TakeTheLease =
        "UPDATE sync_state SET holder = 'intruder', epoch = epoch + 1, lease_expires_at = now() + interval '1 hour' RETURNING epoch";

    [Fact]
    public async Task Should_refuse_the_commits_of_an_instance_that_lost_the_lease_and_let_the_next_holder_carry_on()
    {
        // a holds the lease and renews it only every 20 s; b, standing by, tries every 0.4 s
        var a = await Rtd.StartDistributorAsync(Site, "a", new() { ["Distributor:LeaseDuration"] = "00:01:00" });
        var leaseA = a.Services.GetRequiredService<SiteLease>();
        var heldByA = await leaseA.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        var b = await Rtd.StartDistributorAsync(Site, "b", new() { ["Distributor:LeaseDuration"] = "00:00:01.2" });
        var view = (await Rtd.StartClientAsync(Site, "ws1")).Services.GetRequiredService<ClientView>();
        await SeedPeripheralAsync(); // 1
        await view.WaitForAsync(SiteUpdate.ConfigKind, "peripheral", "1", _ => true);
        Assert.False((await Rtd.StatsAsync(b)).GetProperty("active").GetBoolean());

        // another process takes the site over while a does not know it yet (a pause, a cut link)
        var intruderEpoch = (await Rtd.QueryReplicaAsync<long>(Site, TakeTheLease));
        Assert.Equal(heldByA.Grant.Epoch + 1, intruderEpoch);
        var siteSequence = await Rtd.SiteSequenceAsync(Site);
        var change = new ConfigChanged(2, 1, "calltype", ConfigOperations.Upsert, "5", Json.ToElement(new { id = 5, name = "Fenced", configSequence = 2 }),
            DateTimeOffset.UtcNow);
        // a run through the site stream, which checks the lease and hands the applier its grant
        await Assert.ThrowsAsync<EpochRefusedException>(() => a.Services.GetRequiredService<SiteStream>().ApplyThenPublishAsync(
            new ConfigRun(a.Services.GetRequiredService<IServiceScopeFactory>(), [change]), CancellationToken.None));
        Assert.Equal(1L, await Rtd.AppliedSequenceAsync(Site));
        Assert.Equal(siteSequence, await Rtd.SiteSequenceAsync(Site));
        Assert.Null(leaseA.Current);

        // nobody holds the site now: a change waits in the site's queue, unapplied and unpublished
        await PutAsync("calltype", 5, new { name = "Waits" }); // 2
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Site)))?.Messages ?? 0,
            m => m == 1, "change 2 to wait in the site's queue");
        Assert.Equal(1L, await Rtd.AppliedSequenceAsync(Site));
        Assert.Null(view.Find(SiteUpdate.ConfigKind, "calltype", "5"));

        // the intruder's lease runs out: b takes the site over with a higher epoch, applies the change, the client follows
        await Rtd.QueryReplicaAsync<long>(Site, "UPDATE sync_state SET lease_expires_at = now() - interval '1 second' RETURNING epoch");
        await view.WaitForAsync(SiteUpdate.ConfigKind, "calltype", "5", r => r.Value?.GetProperty("name").GetString() == "Waits");
        var stats = await Rtd.StatsAsync(b);
        Assert.True(stats.GetProperty("active").GetBoolean());
        Assert.Equal(intruderEpoch + 1, stats.GetProperty("epoch").GetInt64());
        Assert.Equal(intruderEpoch + 1, view.Epoch);
        Assert.False((await Rtd.StatsAsync(a)).GetProperty("active").GetBoolean());
        Assert.Equal(2L, await Rtd.AppliedSequenceAsync(Site));
    }

    [Fact]
    public async Task Should_load_the_first_start_snapshot_once_when_two_instances_start_together()
    {
        await SeedPeripheralAsync(); // 1
        for (var i = 1; i <= 3; i++)
        {
            await PutAsync("agent", 100 + i, new { name = $"Agent {i}", peripheralId = 1 }); // 2..4
        }

        await Task.WhenAll(Rtd.StartDistributorAsync(Site, "a"), Rtd.StartDistributorAsync(Site, "b"));

        await Rtd.WaitAppliedAsync(Site, 4);
        await PutAsync("agent", 200, new { name = "Late", peripheralId = 1 }); // 5
        await Rtd.WaitAppliedAsync(Site, 5);
        Assert.Equal(1L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM resync_log WHERE initial_load"));
        Assert.Equal(4L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent"));
    }

    [Fact]
    public async Task Should_reload_a_client_of_a_quiet_row_at_once_after_a_resync()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        await SeedPeripheralAsync(); // 1
        await PutAsync("agent", 101, new { name = "Before", peripheralId = 1 }); // 2
        await Rtd.WaitAppliedAsync(Site, 2);
        // bound to one row only: no other message of the site reaches it
        var view = (await Rtd.StartClientAsync(Site, "ws1", "agent.101")).Services.GetRequiredService<ClientView>();
        await view.WaitForAsync(SiteUpdate.ConfigKind, "agent", "101", r => r.Value?.GetProperty("name").GetString() == "Before");
        // change 3 is lost; change 4 is the gap that brings the resync
        await LoseOneChangeAsync(distributor, () => PutAsync("agent", 101, new { name = "Changed while lost", peripheralId = 1 }),
            () => PutAsync("agent", 102, new { name = "Elsewhere", peripheralId = 1 }));
        distributor = await Rtd.StartDistributorAsync(Site);

        // agent 101 does not change again: the reset alone brings the client its new value
        await view.WaitForAsync(SiteUpdate.ConfigKind, "agent", "101", r => r.Value?.GetProperty("name").GetString() == "Changed while lost");
        Assert.True(view.Resets >= 1);
        var stats = await Rtd.StatsAsync(distributor);
        Assert.Equal(1, stats.GetProperty("resyncs").GetInt64());
        Assert.Contains("a gap", stats.GetProperty("lastResyncReason").GetString());

        // the count and the reason are kept in the replica: a restart still shows them
        await Rtd.StopAsync(distributor);
        distributor = await Rtd.StartDistributorAsync(Site);
        Assert.Equal(1, (await Rtd.StatsAsync(distributor)).GetProperty("resyncs").GetInt64());
    }

    [Fact]
    public async Task Should_reload_a_running_client_when_the_replica_is_recreated()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        var view = (await Rtd.StartClientAsync(Site, "ws1")).Services.GetRequiredService<ClientView>();
        await SeedPeripheralAsync(); // 1
        for (var i = 1; i <= 20; i++)
        {
            await PutAsync("agent", 100 + i, new { name = $"Agent {i}", peripheralId = 1 }); // 2..21
        }
        await view.WaitForAsync(SiteUpdate.ConfigKind, "agent", "120", _ => true);
        var oldEpoch = view.Epoch;
        var oldSequence = view.LastSiteSequence;

        await Rtd.StopAsync(distributor);
        await using (var connection = new NpgsqlConnection(TestSettings.ConnectionString("postgres")))
        {
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE \"{Rtd.ReplicaDatabase(Site)}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        }
        // the hosts of this test share a process: its pooled connections to the dropped database are dead (a new
        // distributor process would not have them)
        NpgsqlConnection.ClearAllPools();
        await Rtd.StartDistributorAsync(Site);
        await PutAsync("agent", 121, new { name = "After the new replica", peripheralId = 1 }); // 22

        await view.WaitForAsync(SiteUpdate.ConfigKind, "agent", "121", _ => true);
        Assert.True(view.Epoch > oldEpoch);
        Assert.True(await Rtd.SiteSequenceAsync(Site) < oldSequence); // the new stream started again from 1
        Assert.Equal(21L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent"));
        Assert.Equal(21, view.Rows().Count(r => r.Kind == SiteUpdate.ConfigKind && r.Table == "agent"));
    }
}
