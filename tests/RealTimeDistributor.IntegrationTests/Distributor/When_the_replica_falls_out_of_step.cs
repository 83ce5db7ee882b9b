using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>updateaw's job: in-order apply, duplicates skipped, gaps and poison healed from a central snapshot.</summary>
public sealed class When_the_replica_falls_out_of_step : SystemTest
{
    private async Task SeedAsync(int agents)
    {
        await SeedPeripheralAsync();
        for (var i = 1; i <= agents; i++)
        {
            await PutAsync("agent", 100 + i, new { name = $"Agent {i}", peripheralId = 1 });
        }
    }

    [Fact]
    public async Task Should_load_a_snapshot_on_first_start_when_the_center_already_has_history()
    {
        await SeedAsync(agents: 3); // changes 1..4, published before the site's queue existed: nobody received them

        await Rtd.StartDistributorAsync(Site);

        await Rtd.WaitAppliedAsync(Site, 4);
        Assert.Equal(3L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent"));
        await PutAsync("agent", 200, new { name = "Late", peripheralId = 1 });
        await Rtd.WaitAppliedAsync(Site, 5);
        Assert.Equal("Late", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 200"));
    }

    [Fact]
    public async Task Should_resync_from_a_snapshot_when_a_change_goes_missing_and_continue_after_it()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        await SeedAsync(agents: 1); // 1..2
        await Rtd.WaitAppliedAsync(Site, 2);
        // change 3 is lost, change 4 follows it
        await LoseOneChangeAsync(distributor, () => PutAsync("agent", 102, new { name = "Lost", peripheralId = 1 }),
            () => PutAsync("agent", 103, new { name = "After", peripheralId = 1 }));

        distributor = await Rtd.StartDistributorAsync(Site);

        await Rtd.WaitAppliedAsync(Site, 4);
        Assert.Equal("Lost", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 102"));
        Assert.Equal("After", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 103"));
        // the replica shows the watermark as soon as the load commits; the resync is counted just after
        var stats = await Eventually.Until(() => Rtd.StatsAsync(distributor), s => s.GetProperty("resyncs").GetInt64() >= 1, "the resync to be counted");
        Assert.Equal(1, stats.GetProperty("resyncs").GetInt64());
        Assert.Contains("gap", stats.GetProperty("lastResyncReason").GetString());

        await PutAsync("agent", 104, new { name = "Next", peripheralId = 1 }); // 5
        await Rtd.WaitAppliedAsync(Site, 5);
    }

    [Fact]
    public async Task Should_consume_again_when_an_operator_deletes_the_sites_config_queue()
    {
        await Rtd.StartDistributorAsync(Site);
        await SeedAsync(agents: 1); // 1..2
        await Rtd.WaitAppliedAsync(Site, 2);
        var queue = RealTimeDistributor.Hosting.Topology.Central.DistributorConfigQueue(Site);

        // the broker cancels the consumer of a deleted queue on an open channel: the distributor must start over
        // (declare, bind, consume), not wait on a channel that will never deliver again
        await Rtd.Broker.DeleteQueueAsync(Rtd.CentralVirtualHost, queue);
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, queue))?.Consumers ?? 0, c => c == 1,
            "the site's config queue to be declared and consumed again");

        await PutAsync("agent", 102, new { name = "After the delete", peripheralId = 1 }); // 3
        await Rtd.WaitAppliedAsync(Site, 3);
        Assert.Equal("After the delete", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 102"));
    }

    [Fact]
    public async Task Should_skip_a_duplicate_and_leave_the_replica_unchanged()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        await SeedAsync(agents: 1);
        await Rtd.WaitAppliedAsync(Site, 2);
        var before = await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101");

        // a replay of change 2 with different content (as a broken relay might send) must not be applied
        await Rtd.PublishToCentralConfigAsync(new ConfigChanged(2, 1, "agent", ConfigOperations.Upsert, "101",
            Json.ToElement(new { id = 101, name = "Replayed", peripheralId = 1, configSequence = 2 }), DateTimeOffset.UtcNow));

        await Eventually.Until(async () => (await Rtd.StatsAsync(distributor)).GetProperty("configDuplicates").GetInt64(), d => d == 1, "the duplicate");
        Assert.Equal(before, await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
        Assert.Equal(2L, await Rtd.AppliedSequenceAsync(Site));
        Assert.Equal(0, (await Rtd.StatsAsync(distributor)).GetProperty("resyncs").GetInt64());
    }

    [Fact]
    public async Task Should_send_a_change_that_cannot_apply_to_the_error_queue_with_its_reason_and_go_on_without_a_resync()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        await SeedAsync(agents: 1);
        await Rtd.WaitAppliedAsync(Site, 2);

        await Rtd.PublishToCentralConfigAsync(new ConfigChanged(3, 2, "nonsense", ConfigOperations.Upsert, "7",
            JsonDocument.Parse("{}").RootElement, DateTimeOffset.UtcNow));

        var error = await Rtd.ErrorMessageAsync(Topology.Central.DistributorConfigQueue(Site) + "_error");
        Assert.Contains("Unknown configuration table 'nonsense'", error.Headers["MT-Fault-Message"]);
        Assert.Contains("\"sequence\":3", error.Body);

        // the site keeps following the center: the genuine change 3 takes its place, and nothing had to be reloaded
        await PutAsync("agent", 150, new { name = "Still here", peripheralId = 1 }); // 3
        await Rtd.WaitAppliedAsync(Site, 3);
        Assert.Equal("Still here", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 150"));
        Assert.Equal(0, (await Rtd.StatsAsync(distributor)).GetProperty("resyncs").GetInt64());
    }

    [Fact]
    public async Task Should_apply_a_run_in_which_a_unique_name_passes_between_rows_and_name_the_change_that_cannot_fit()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        await SeedAsync(agents: 2); // 1..3: agents 101 "Agent 1", 102 "Agent 2"
        await Rtd.WaitAppliedAsync(Site, 3);
        await using var scope = distributor.Services.CreateAsyncScope();
        var applier = scope.ServiceProvider.GetRequiredService<ConfigApplier>();
        var grant = distributor.Services.GetRequiredService<SiteLease>().Require().Grant;

        // the names swap through a temporary one: written together in one statement, 102 would take "Agent 1" while 101
        // still has it; the run must still apply, in sequence order
        var swapped = await applier.ApplyRunAsync([Agent(4, 102, "Temporary"), Agent(5, 101, "Agent 2"), Agent(6, 102, "Agent 1")], grant, CancellationToken.None);

        Assert.Equal(6, swapped.Applied);
        Assert.Equal([4L, 5L, 6L], swapped.Updates.Select(u => Assert.IsType<ConfigUpdate>(u).Config.Sequence));
        Assert.Equal("Agent 2", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
        Assert.Equal("Agent 1", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 102"));

        // an agent on a peripheral the replica does not have: the whole run is refused, naming that change
        var poison = await Assert.ThrowsAsync<PoisonMessageException>(() =>
            applier.ApplyRunAsync([Agent(7, 103, "Fine"), Agent(8, 104, "Orphan", peripheralId: 99), Agent(9, 105, "Also fine")], grant, CancellationToken.None));
        Assert.Equal(8, poison.Sequence);
        Assert.Contains("agent 104", poison.Message);
        Assert.Equal(6L, await Rtd.AppliedSequenceAsync(Site));
        Assert.Equal(0L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent WHERE id = 103"));
    }

    private static ConfigChanged Agent(long sequence, long id, string name, long peripheralId = 1) =>
        new(sequence, sequence - 1, "agent", ConfigOperations.Upsert, id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Json.ToElement(new { id, name, peripheralId, configSequence = sequence }), DateTimeOffset.UtcNow);

    [Fact]
    public async Task Should_load_a_configuration_of_many_snapshot_chunks_row_for_row()
    {
        const int agents = 12_000; // more than two chunks of Topology.Central.ConfigSnapshotChunkRows
        await SeedAsync(agents: 0);
        await CentralBacklog.CommitAgentsAsync(Rtd.CentralDatabase, agents);

        // the center's answer, as a distributor receives it: bounded chunks, numbered, one watermark, the last one counting all
        var snapshot = await CentralSnapshot.ConfigAsync(Rtd, TimeSpan.FromSeconds(60));
        var chunks = snapshot.Chunks;
        Assert.True(chunks.Count >= 3, $"{chunks.Count} chunks");
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.All(chunks, c => Assert.InRange(c.Rows.Count, 0, Topology.Central.ConfigSnapshotChunkRows));
        Assert.Single(chunks.Select(c => c.Watermark).Distinct());
        Assert.Equal([true], chunks.Where(c => c.Last).Select(c => c.Last));
        Assert.Equal(agents + 1, snapshot.TotalRows);
        Assert.Equal(agents, snapshot.Rows.Count(r => r.Table == "agent"));

        await Rtd.StartDistributorAsync(Site);
        await Rtd.WaitAppliedAsync(Site, agents + 1);
        const string fingerprint = "SELECT md5(string_agg(id || '/' || name || '/' || peripheral_id || '/' || config_sequence, ',' ORDER BY id)) FROM agent";
        Assert.Equal(await CentralBacklog.QueryCentralAsync<string>(Rtd.CentralDatabase, fingerprint), await Rtd.QueryReplicaAsync<string>(Site, fingerprint));
        Assert.Equal((long)agents, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent"));
    }
}
