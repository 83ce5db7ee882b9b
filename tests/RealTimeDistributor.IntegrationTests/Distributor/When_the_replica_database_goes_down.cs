using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>The replica database is unreachable for 30 s during a burst: messages wait in the queue, nothing is lost.</summary>
public sealed class When_the_replica_database_goes_down : IAsyncLifetime
{
    private const int Burst = 300;
    private RtdSystem _system = null!;
    private TcpProxy _database = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        _site = _system.Site("a");
        _database = new TcpProxy(TestSettings.PostgresHost, int.Parse(TestSettings.PostgresPort, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task DisposeAsync()
    {
        await _system.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Should_keep_messages_in_the_queue_and_apply_them_all_when_it_returns()
    {
        var replica = TestSettings.ConnectionString(_system.ReplicaDatabase(_site)).Replace($"Port={TestSettings.PostgresPort}", $"Port={_database.Port}",
            StringComparison.Ordinal) + ";Timeout=3;Command Timeout=5;Pooling=false";
        await _system.StartDistributorAsync(_site, extra: new() { ["ConnectionStrings:Replica"] = replica });
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode);
        await Eventually.Until(() => _system.QueryReplicaAsync<long>(_site, "SELECT applied_config_sequence FROM sync_state"), a => a == 1, "change 1");
        var configQueue = Topology.Central.DistributorConfigQueue(_site);
        await Eventually.Until(async () => (await _system.Broker.QueueAsync(_system.CentralVirtualHost, configQueue))?.Messages ?? -1,
            m => m == 0, "change 1 to be acknowledged");

        _database.Cut();
        var outageStarted = DateTime.UtcNow;
        for (var i = 1; i <= Burst; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("agent", i, new { name = $"Agent {i}", peripheralId = 1 })).StatusCode);
        }
        var publisher = _system.Central.Services.GetRequiredService<RealTimePublisher>();
        await publisher.PublishAsync(RealTimeTables.Agent, [new RealTimeRow("1", 1, DateTimeOffset.UtcNow, Json.ToElement(new { state = "ready" }))],
            false, CancellationToken.None);
        await Eventually.Until(async () => (await _system.Broker.QueueAsync(_system.CentralVirtualHost, configQueue))?.Messages ?? 0,
            m => m == Burst, "the burst to wait in the distributor's queue");
        var remaining = TimeSpan.FromSeconds(30) - (DateTime.UtcNow - outageStarted);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining); // the outage itself: 30 s without the database, not a synchronisation
        }
        Assert.Equal(Burst, (await _system.Broker.QueueAsync(_system.CentralVirtualHost, configQueue))!.Messages);
        Assert.Null(await _system.Broker.QueueAsync(_system.CentralVirtualHost, configQueue + "_error"));

        _database.Restore();

        await Eventually.Until(() => _system.QueryReplicaAsync<long>(_site, "SELECT applied_config_sequence FROM sync_state"), a => a == Burst + 1,
            "the whole burst to apply", TimeSpan.FromSeconds(120));
        Assert.Equal((long)Burst, await _system.QueryReplicaAsync<long>(_site, "SELECT count(*) FROM agent"));
        await Eventually.Until(() => _system.QueryReplicaAsync<long>(_site, "SELECT count(*) FROM realtime_row"), n => n == 1, "the real-time row");
        Assert.Null(await _system.Broker.QueueAsync(_system.CentralVirtualHost, configQueue + "_error"));
        Assert.Null(await _system.Broker.QueueAsync(_system.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(_site) + "_error"));
    }
}
