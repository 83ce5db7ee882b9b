using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>
/// `rtd status` against a running system of two sites (site a with an active and a standby distributor), asked with the
/// read-only operator user; then one site is stopped, site a's real-time data goes stale, and its active instance stops.
/// </summary>
public sealed class When_an_operator_asks_for_the_status(ITestOutputHelper output) : SystemTest
{
    private RoleUsers _users = null!;
    private WebApplication _standby = null!; // site a's instance b
    private WebApplication _b = null!;
    private string _bUrl = "";
    private string _sites = "";

    protected override bool StartsDistributor => true; // site a's instance a

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _standby = await Rtd.StartDistributorAsync(Site, instance: "b");
        _b = await Rtd.StartDistributorAsync(Rtd.Site("b"));
        _bUrl = _b.Urls.First();
        _sites = $"{Site}={Distributor.Urls.First()},{Rtd.Site("b")}={_bUrl}";
        await Rtd.StartClientAsync(Site, "ws1");
        _users = await CreateRoleUsersAsync([Site, Rtd.Site("b")]);
    }

    [Fact]
    public async Task Should_report_every_site_up_to_date_then_name_the_stopped_site_and_exit_non_zero()
    {
        await SeedPeripheralAsync();
        await Rtd.PublishAsync(RealTimeTables.Agent, ["1001", "1002"], version: 1);
        await Rtd.WaitAppliedAsync(Site, 1);
        await Rtd.WaitAppliedAsync(Rtd.Site("b"), 1);
        await Eventually.Until(() => Rtd.ReplicaRowCountAsync(Site, RealTimeTables.Agent), n => n == 2, "site a's real-time rows");
        await Eventually.Until(() => Rtd.ReplicaRowCountAsync(Rtd.Site("b"), RealTimeTables.Agent), n => n == 2, "site b's real-time rows");
        // the management API shows a queue's counters at its next statistics emission (every 5 s by default)
        // the standby holds no site lease: it consumes neither central queue
        await ConsumersAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Site));
        await ConsumersAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(Site));
        await ConsumersAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Rtd.Site("b")));
        await ConsumersAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(Rtd.Site("b")));
        await ConsumersAsync(Topology.Site.VirtualHost(Site), Topology.Site.ClientQueue(Site, "ws1"));

        // site a: instance a holds the lease and consumes both queues, b is connected as the standby
        await StatusAsync(["--max-realtime-age", "5m"], expectedExit: 0,
            $@"{Site} +1 +0 +0/1 +0/1 +0 +1 +a +\d+\.\ds  ok",
            $@"{Rtd.Site("b")} +1 +0 +0/1 +0/1 +0 +0 +a +\d+\.\ds  ok",
            Regex.Escape($"{Site}: active distributor: config a, real-time a; standby: b"),
            $@"{Site}: real-time age: agent \d+\.\ds",
            Regex.Escape($"{Site}: clients: ws1 0/1"),
            Regex.Escape($"{Topology.Site.SnapshotQueue(Site)} 0/2"),
            Regex.Escape($"{Rtd.Site("b")}: clients: none"));

        // messages parked in site a's config error queue and in one of the center's: the sequences agree, yet neither is
        // up to date; the status names each queue and exits 1 (a demo once showed 7,501 parked changes as "up to date")
        var siteErrors = Topology.ErrorQueue(Topology.Central.DistributorConfigQueue(Site));
        var centerErrors = Topology.ErrorQueue(Topology.Activity.Queue);
        await ParkAsync(siteErrors, 3);
        await ParkAsync(centerErrors, 1);
        await StatusAsync([], expectedExit: 1,
            $@"(?m){Site} +1 +0 +0/1 +0/1 +3 +1 +a +\d+\.\ds  ERRORS 3 in {Regex.Escape(siteErrors)}\r?$",
            $@"(?m){Rtd.Site("b")} +1 +0 +0/1 +0/1 +0 +0 +a +\d+\.\ds  ok\r?$",
            Regex.Escape($"{Site}: error queues (messages): {Rtd.CentralVirtualHost} {siteErrors} 3"),
            Regex.Escape($"{Rtd.CentralVirtualHost}: other error queues (messages): {centerErrors} 1"),
            Regex.Escape($"1 of 2 sites need attention; 1 messages wait in other error queues of {Rtd.CentralVirtualHost}"));
        await Rtd.Broker.DeleteQueueAsync(Rtd.CentralVirtualHost, siteErrors);
        await Rtd.Broker.DeleteQueueAsync(Rtd.CentralVirtualHost, centerErrors);

        // site b's distributor stops; the next two changes reach only site a, and wait in site b's queue
        await Rtd.StopAsync(_b);
        await PutAsync("peripheral", 2, new { name = "ACD 2", kind = "acd" });
        await PutAsync("peripheral", 3, new { name = "ACD 3", kind = "acd" });
        await Rtd.WaitAppliedAsync(Site, 3);
        await Eventually.Until(() => Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Rtd.Site("b"))),
            q => q is { Messages: 2, Consumers: 0 }, "two changes waiting for site b, no consumer");

        await StatusAsync(["--max-behind", "1", "--max-backlog", "1"], expectedExit: 1,
            $@"{Site} +3 +0 +0/1 +0/1 +0 +1 +a +\d+\.\ds  ok",
            $@"(?m){Rtd.Site("b")} +- +- +2/0 +0/0 +0 +0 +- +-  DISTRIBUTOR UNREACHABLE; BACKLOG 2 ready in {Regex.Escape(Topology.Central.DistributorConfigQueue(Rtd.Site("b")))}\r?$",
            Regex.Escape($"{Rtd.Site("b")}: active distributor: config -, real-time -; standby: none"));

        // site a's real-time data is older than a tighter threshold: stale, exit 1
        await Eventually.Until(async () => (await Rtd.StatsAsync(Distributor)).GetProperty("realTimeTables")[0].GetProperty("ageSeconds").GetDouble(),
            age => age > 1, "site a's real-time data older than 1 s");
        await StatusAsync(["--max-behind", "5", "--max-realtime-age", "1s"], expectedExit: 1,
            $@"{Site} .* REAL-TIME STALE \(agent \d+(\.\d)?s\)");

        // site a's active instance stops: the standby b takes over both queues, and the status says so
        await Rtd.StopAsync(Distributor);
        await ConsumersAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Site));
        await ConsumersAsync(Rtd.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(Site));
        _sites = $"{Site}={_standby.Urls.First()},{Rtd.Site("b")}={_bUrl}";
        await StatusAsync(["--max-behind", "5"], expectedExit: 1,
            $@"{Site} +3 +0 +0/1 +0/1 +0 +1 +b ",
            Regex.Escape($"{Site}: active distributor: config b, real-time b; standby: none"),
            Regex.Escape("1 of 2 sites need attention"));
    }

    /// <summary>`rtd status` for both sites as the read-only operator, until it exits and reads as expected (<see cref="StatusRuns"/>).</summary>
    private Task StatusAsync(string[] extra, int expectedExit, params string[] patterns)
    {
        var operatorUser = _users.For("operator");
        string[] args =
        [
            "--central", Rtd.Central.Urls.First(),
            "--sites", _sites,
            "--central-vhost", Rtd.CentralVirtualHost,
            "--management", $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}",
            "--user", operatorUser.User, "--password", operatorUser.Password,
            .. extra,
        ];
        return StatusRuns.UntilAsync(output, args, expectedExit, TimeSpan.FromSeconds(60), patterns);
    }

    /// <summary>Puts <paramref name="count"/> messages in a parking queue of the central vhost, as a consumer that gave up on them would.</summary>
    private async Task ParkAsync(string queue, int count)
    {
        await using var connection = await TestSettings.RabbitConnection(Rtd.CentralVirtualHost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        for (var i = 0; i < count; i++)
        {
            await channel.BasicPublishAsync("", queue, true, new RabbitMQ.Client.BasicProperties { Persistent = true }, "{}"u8.ToArray());
        }
        await Eventually.Until(() => Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, queue), q => q is { } parked && parked.Messages == count,
            $"{count} messages in {queue} in the management API");
    }

    private Task<QueueInfo?> ConsumersAsync(string vhost, string queue, int consumers = 1) =>
        Eventually.Until(() => Rtd.Broker.QueueAsync(vhost, queue), q => q is { Messages: 0 } && q.Consumers == consumers,
            $"{queue} with {consumers} consumers in the management API");
}
