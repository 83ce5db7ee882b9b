using System.Diagnostics;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Flow;

/// <summary>
/// The central broker as a three-node cluster (infra/rabbitmq/cluster.sh, started by infra/test.sh): the center and a
/// distributor process connect with the host list; the node leading the site's config queue (a quorum queue on all
/// three nodes) is killed (SIGKILL of its Erlang VM) in the middle of a burst, and a second burst is committed after the
/// kill, so the relay and the distributor must both reconnect to a surviving node to carry it; real-time rows published
/// before and after the kill reach the replica (the site's real-time queue is a quorum queue too). The replica ends equal
/// to the center with each change applied once.
/// </summary>
public sealed class When_a_central_cluster_node_stops(ITestOutputHelper output) : SystemTest
{
    private const int Burst = 3_000;

    private const int Changes = 2 * Burst;

    protected override bool OnCluster => true;

    protected override string SiteName => "cl";

    private static readonly string[] RealTimeKeys = [.. Enumerable.Range(1001, 200).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private Task<long> AppliedAsync() => Rtd.AppliedSequenceAsync(Site);

    // Back in CI since 2026-12-06: the stall it showed once (replica at change 2,002 of 6,001 for 5 minutes) fits a
    // batch whose confirms never came after the kill, which ConfirmingPublisher now gives up after 30 s (seen in 2 of
    // 24 runs since: the site stream's batch, every change applied 30.4-30.6 s after the kill). Should it stall
    // again, the output says where (docs/operations.md, "Central broker cluster").
    [Fact]
    public async Task Should_lose_and_duplicate_nothing_when_the_config_queue_leader_stops_during_a_burst()
    {
        await Rtd.EnsureSiteAsync(Site);
        await SeedPeripheralAsync();
        Rtd.StartDistributorProcess(Site, "a");
        await Rtd.WaitAppliedAsync(Site, 1, TimeSpan.FromSeconds(90));
        var queue = await Eventually.Until(() => Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Site)),
            q => q is { Consumers: 1, Leader: not null }, "the config queue with its consumer and leader", TimeSpan.FromSeconds(60));
        Assert.Equal(3, queue!.Members!.Length); // replicated on every node, so a majority survives one
        var leader = queue.Leader!.Split('@')[0];
        // the real-time intake too: a quorum queue on every node, whichever node leads it
        var realTime = await Eventually.Until(() => Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(Site)),
            q => q is { Consumers: 1, Leader: not null }, "the real-time queue with its consumer and leader", TimeSpan.FromSeconds(60));
        Assert.Equal(3, realTime!.Members!.Length);
        await Rtd.PublishAsync(RealTimeTables.Agent, RealTimeKeys, version: 1);
        await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, RealTimeTables.Agent), v => v.Count == RealTimeKeys.Length && v.Values.All(n => n == 1),
            "the real-time rows of version 1 in the replica");

        await CentralBacklog.CommitAgentsAsync(Rtd.CentralDatabase, Burst);
        await Eventually.Until(AppliedAsync, a => a > 1 + Burst / 10, "the distributor to be part-way through the burst", TimeSpan.FromSeconds(120));
        try
        {
            await ClusterNodeAsync("kill", leader);
            var killed = Stopwatch.StartNew();
            var appliedAtKill = await AppliedAsync();
            await CentralBacklog.CommitAgentsAsync(Rtd.CentralDatabase, Burst, firstId: 1001 + Burst);
            await PublishUntilTakenAsync(version: 2);
            try
            {
                await Rtd.WaitAppliedAsync(Site, Changes + 1, TimeSpan.FromMinutes(5));
            }
            catch (TimeoutException)
            {
                // where a stall is: the center's relay (changes published), the broker (the site's consumer, ready and unacked changes)
                output.WriteLine($"center /stats: {await Rtd.StatsAsync(Rtd.Central)}");
                output.WriteLine(await Rtd.Broker.QueueRecordAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Site)));
                throw;
            }
            await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, RealTimeTables.Agent), v => v.Count == RealTimeKeys.Length && v.Values.All(n => n == 2),
                "the real-time rows published after the kill in the replica", TimeSpan.FromMinutes(2));
            output.WriteLine($"killed {leader} (the config queue's leader) at applied {appliedAtKill} of {Changes + 1}; " +
                $"every change applied {killed.Elapsed.TotalSeconds:F1} s after the kill");
        }
        finally
        {
            await ClusterNodeAsync("start", leader); // the node rejoins its cluster with its data
        }

        var central = await CentralBacklog.AgentsAsync(Rtd.CentralDatabase);
        Assert.Equal(Changes, central.Count);
        Assert.Equal(central, await CentralBacklog.AgentsAsync(Rtd.ReplicaDatabase(Site)));
        Assert.Equal((long)Changes, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(DISTINCT central_sequence) FROM config_apply_log WHERE central_sequence > 1"));
        Assert.Equal((long)Changes, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM config_apply_log"));
    }

    /// <summary>
    /// Publishes the real-time rows through the center's publisher until the broker takes them: right after the kill the
    /// queues' new leaders may refuse a publish (basic.nack) while they are elected, and the center's engine would send
    /// the rows again at its next interval, which this stands in for.
    /// </summary>
    private async Task PublishUntilTakenAsync(long version)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await Rtd.PublishAsync(RealTimeTables.Agent, RealTimeKeys, version);
                return;
            }
            catch (Exception exception) when (attempt < 60 && exception is RabbitMQ.Client.Exceptions.PublishException or RabbitMQ.Client.Exceptions.AlreadyClosedException)
            {
                output.WriteLine($"real-time publish {attempt} refused ({exception.Message}); again");
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    /// <summary>infra/rabbitmq/node.sh on one of cluster.sh's nodes (rtd-c1..3: AMQP port 5700 + n).</summary>
    private static async Task ClusterNodeAsync(string verb, string node)
    {
        var port = TestSettings.ClusterHosts.Split(',')[int.Parse(node[^1..], System.Globalization.CultureInfo.InvariantCulture) - 1].Split(':')[1];
        await Repository.ScriptAsync("infra/rabbitmq/node.sh", verb == "start" ? [verb, node, port] : [verb, node]);
    }
}
