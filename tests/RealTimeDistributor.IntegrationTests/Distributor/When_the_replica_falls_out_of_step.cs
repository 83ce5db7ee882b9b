using System.Net;
using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>updateaw's job: in-order apply, duplicates skipped, gaps and poison healed from a central snapshot.</summary>
public sealed class When_the_replica_falls_out_of_step : IAsyncLifetime
{
    private RtdSystem _system = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        _site = _system.Site("a");
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    private async Task SeedAsync(int agents)
    {
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode);
        for (var i = 1; i <= agents; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", 100 + i, new { name = $"Agent {i}", peripheralId = 1 })).StatusCode);
        }
    }

    private Task<long> AppliedAsync() => _system.QueryReplicaAsync<long>(_site, "SELECT applied_config_sequence FROM sync_state");

    private Task WaitAppliedAsync(long sequence) =>
        Eventually.Until(AppliedAsync, applied => applied >= sequence, $"the replica to apply change {sequence}");

    [Fact]
    public async Task Should_load_a_snapshot_on_first_start_when_the_center_already_has_history()
    {
        await SeedAsync(agents: 3); // changes 1..4, published before the site's queue existed: nobody received them

        await _system.StartDistributorAsync(_site);

        await WaitAppliedAsync(4);
        Assert.Equal(3L, await _system.QueryReplicaAsync<long>(_site, "SELECT count(*) FROM agent"));
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", 200, new { name = "Late", peripheralId = 1 })).StatusCode);
        await WaitAppliedAsync(5);
        Assert.Equal("Late", await _system.QueryReplicaAsync<string>(_site, "SELECT name FROM agent WHERE id = 200"));
    }

    [Fact]
    public async Task Should_resync_from_a_snapshot_when_a_change_goes_missing_and_continue_after_it()
    {
        var distributor = await _system.StartDistributorAsync(_site);
        await SeedAsync(agents: 1); // 1..2
        await WaitAppliedAsync(2);
        await Eventually.Until(async () => (await _system.Broker.QueueAsync(_system.CentralVirtualHost, Topology.Central.DistributorConfigQueue(_site)))?.Messages ?? -1,
            m => m == 0, "changes 1 and 2 to be acknowledged");
        await _system.StopAsync(distributor);

        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", 102, new { name = "Lost", peripheralId = 1 })).StatusCode); // 3
        await Eventually.Until(async () => (await _system.Broker.QueueAsync(_system.CentralVirtualHost, Topology.Central.DistributorConfigQueue(_site)))?.Messages ?? 0,
            m => m == 1, "change 3 to reach the site's queue");
        await _system.Broker.PurgeAsync(_system.CentralVirtualHost, Topology.Central.DistributorConfigQueue(_site)); // change 3 is lost
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", 103, new { name = "After", peripheralId = 1 })).StatusCode); // 4

        distributor = await _system.StartDistributorAsync(_site);

        await WaitAppliedAsync(4);
        Assert.Equal("Lost", await _system.QueryReplicaAsync<string>(_site, "SELECT name FROM agent WHERE id = 102"));
        Assert.Equal("After", await _system.QueryReplicaAsync<string>(_site, "SELECT name FROM agent WHERE id = 103"));
        var stats = await _system.StatsAsync(distributor);
        Assert.Equal(1, stats.GetProperty("resyncs").GetInt64());
        Assert.Contains("gap", stats.GetProperty("lastResyncReason").GetString());

        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", 104, new { name = "Next", peripheralId = 1 })).StatusCode); // 5
        await WaitAppliedAsync(5);
    }

    [Fact]
    public async Task Should_skip_a_duplicate_and_leave_the_replica_unchanged()
    {
        var distributor = await _system.StartDistributorAsync(_site);
        await SeedAsync(agents: 1);
        await WaitAppliedAsync(2);
        var before = await _system.QueryReplicaAsync<string>(_site, "SELECT name FROM agent WHERE id = 101");

        // a replay of change 2 with different content (as a broken relay might send) must not be applied
        await _system.PublishToCentralConfigAsync(new ConfigChanged(2, 1, "agent", ConfigOperations.Upsert, "101",
            Json.ToElement(new { id = 101, name = "Replayed", peripheralId = 1, configSequence = 2 }), DateTimeOffset.UtcNow));

        await Eventually.Until(async () => (await _system.StatsAsync(distributor)).GetProperty("configDuplicates").GetInt64(), d => d == 1, "the duplicate");
        Assert.Equal(before, await _system.QueryReplicaAsync<string>(_site, "SELECT name FROM agent WHERE id = 101"));
        Assert.Equal(2L, await AppliedAsync());
        Assert.Equal(0, (await _system.StatsAsync(distributor)).GetProperty("resyncs").GetInt64());
    }

    [Fact]
    public async Task Should_send_a_change_that_cannot_apply_to_the_error_queue_with_its_reason_and_resync()
    {
        var distributor = await _system.StartDistributorAsync(_site);
        await SeedAsync(agents: 1);
        await WaitAppliedAsync(2);

        await _system.PublishToCentralConfigAsync(new ConfigChanged(3, 2, "nonsense", ConfigOperations.Upsert, "7",
            JsonDocument.Parse("{}").RootElement, DateTimeOffset.UtcNow));

        var errorQueue = Topology.Central.DistributorConfigQueue(_site) + "_error";
        await Eventually.Until(async () => (await _system.Broker.QueueAsync(_system.CentralVirtualHost, errorQueue))?.Messages ?? 0,
            m => m == 1, "the poison change in the error queue");
        var error = await QueueReader.PeekAsync(_system.CentralVirtualHost, errorQueue, TimeSpan.FromSeconds(60));
        Assert.NotNull(error);
        Assert.Contains("Unknown configuration table 'nonsense'", error.Headers["MT-Fault-Message"]);
        Assert.Contains("\"sequence\":3", error.Body);
        await Eventually.Until(async () => (await _system.StatsAsync(distributor)).GetProperty("resyncs").GetInt64(), r => r == 1, "the resync");

        // the site keeps following the center
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", 150, new { name = "Still here", peripheralId = 1 })).StatusCode); // 3
        await WaitAppliedAsync(3);
        Assert.Equal("Still here", await _system.QueryReplicaAsync<string>(_site, "SELECT name FROM agent WHERE id = 150"));
    }
}
