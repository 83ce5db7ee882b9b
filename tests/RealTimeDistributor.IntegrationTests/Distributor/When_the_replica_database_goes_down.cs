using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>The replica database is unreachable for 30 s during a burst: messages wait in the queue, nothing is lost.</summary>
public sealed class When_the_replica_database_goes_down : SystemTest
{
    private const int Burst = 300;

    [Fact]
    public async Task Should_keep_messages_in_the_queue_and_apply_them_all_when_it_returns()
    {
        var distributor = await StartDistributorBehindDatabaseProxyAsync();
        await SeedPeripheralAsync();
        await Rtd.WaitAppliedAsync(Site, 1);
        var configQueue = Topology.Central.DistributorConfigQueue(Site);
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, configQueue))?.Messages ?? -1,
            m => m == 0, "change 1 to be acknowledged");

        DatabaseProxy.Cut();
        var outageStarted = DateTime.UtcNow;
        for (var i = 1; i <= Burst; i++)
        {
            await PutAsync("agent", i, new { name = $"Agent {i}", peripheralId = 1 });
        }
        var publisher = Rtd.Central.Services.GetRequiredService<RealTimePublisher>();
        Task PublishRowAsync() => publisher.PublishAsync(RealTimeTables.Agent, [new RealTimeRow("1", 1, DateTimeOffset.UtcNow, Json.ToElement(new { state = "ready" }))],
            false, CancellationToken.None);
        await PublishRowAsync();
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, configQueue))?.Messages ?? 0,
            m => m == Burst, "the burst to wait in the distributor's queue");
        var remaining = TimeSpan.FromSeconds(30) - (DateTime.UtcNow - outageStarted);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining); // the outage itself: 30 s without the database, not a synchronisation
        }
        Assert.Equal(Burst, (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, configQueue))!.Messages);
        Assert.Null(await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, configQueue + "_error"));

        DatabaseProxy.Restore();

        await Rtd.WaitAppliedAsync(Site, Burst + 1, TimeSpan.FromSeconds(120));
        Assert.Equal((long)Burst, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent"));
        // the site lease lives in the replica, so it lapses during the outage: a real-time batch in flight then is
        // handed back to the queue (docs/architecture.md, the lease), and applied once the lease is held again
        await Eventually.Until(() => Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM realtime_row"), n => n == 1, "the real-time row");
        Assert.Null(await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, configQueue + "_error"));
        Assert.Null(await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(Site) + "_error"));
    }
}
