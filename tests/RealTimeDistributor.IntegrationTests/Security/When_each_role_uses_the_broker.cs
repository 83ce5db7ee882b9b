using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Security;

/// <summary>
/// The security matrix: each role's credentials (users of infra/rabbitmq/roles.conf, declared for this test's own vhosts
/// with the same regexes) against the real broker. Every operation the role's host must do succeeds; every operation across
/// a boundary is refused: ACCESS_REFUSED (403) on the channel, NOT_ALLOWED (530) when the user may not even open the vhost,
/// 401/403 from the management API. Publishes use confirms, so a refused publish is seen as the 403 channel close.
/// </summary>
public sealed class When_each_role_uses_the_broker(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly ReadOnlyMemory<byte> Body = Encoding.UTF8.GetBytes("{}");

    private readonly string _id = RtdSystem.NewId();
    private readonly Broker _broker = new();
    private string _ws1Bus = "";
    private string _distributorBBus = "";
    private RoleUsers _users = null!;

    private string Central => RtdSystem.CentralVirtualHostOf(_id);

    private string A => $"t{_id}-a";

    private string B => $"t{_id}-b";

    public async Task InitializeAsync()
    {
        _ws1Bus = Topology.BusEndpoint(Topology.Site.ClientQueue(A, "ws1"));
        _distributorBBus = Topology.BusEndpoint(Topology.Central.DistributorBusOwner(B));
        foreach (var vhost in new[] { Central, Topology.Site.VirtualHost(A), Topology.Site.VirtualHost(B) })
        {
            await _broker.CreateVirtualHostAsync(vhost);
        }
        _users = await RoleUsers.CreateAsync(Central, [A, B], $"{_id}-", [(A, "ws1"), (A, "ws2"), (B, "ws1")]);
        await DeclareTopologyAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var vhost in new[] { Central, Topology.Site.VirtualHost(A), Topology.Site.VirtualHost(B) })
        {
            await _broker.DeleteVirtualHostAsync(vhost);
        }
        await _users.DisposeAsync();
        _broker.Dispose();
    }

    [Fact]
    public async Task Should_allow_each_role_what_its_host_does()
    {
        var failures = new List<string>();
        foreach (var (name, run) in Allowed())
        {
            var refusal = await run();
            output.WriteLine($"{(refusal is null ? "allowed " : "REFUSED ")} {name}{(refusal is null ? "" : $": {refusal}")}");
            if (refusal is not null)
            {
                failures.Add($"{name}: {refusal}");
            }
        }
        Assert.Empty(failures);
    }

    [Fact]
    public async Task Should_refuse_every_operation_across_a_boundary()
    {
        var cases = Refused();
        var refused = 0;
        var failures = new List<string>();
        foreach (var (name, run) in cases)
        {
            var refusal = await run();
            output.WriteLine($"{(refusal is null ? "ALLOWED" : "refused")}  {name}{(refusal is null ? "" : $": {refusal}")}");
            if (refusal is null)
            {
                failures.Add(name);
            }
            else
            {
                refused++;
            }
        }
        output.WriteLine($"{refused} of {cases.Count} cross-boundary operations were refused");
        Assert.Empty(failures);
        Assert.Equal(cases.Count, refused);
    }

    private List<(string Name, Func<Task<string?>> Run)> Allowed()
    {
        var controller = _users.For("controller");
        var distributor = _users.For("distributor", A);
        var workstation = _users.For("workstation", A, "ws2");
        var operatorUser = _users.For("operator");
        var gateway = _users.For("gateway", "1");
        var siteA = Topology.Site.VirtualHost(A);
        return
        [
            ("controller consumes rtd.central.activity-events (bound peripheral.* without declaring the exchange) and parks in its error queue",
                () => Amqp(controller, Central, async c =>
                {
                    await c.ExchangeDeclarePassiveAsync(Topology.Activity.Exchange);
                    await c.QueueDeclareAsync(Topology.Activity.Queue, durable: true, exclusive: false, autoDelete: false);
                    await c.QueueBindAsync(Topology.Activity.Queue, Topology.Activity.Exchange, Topology.Activity.AllPeripherals);
                    await c.BasicGetAsync(Topology.Activity.Queue, autoAck: false);
                    await DeclareBoundQueueAsync(c, Topology.ErrorQueue(Topology.Activity.Queue));
                    await c.BasicPublishAsync(Topology.ErrorQueue(Topology.Activity.Queue), "", Body);
                })),
            ("controller asks peripheral 1 for a resync (publish to rtd.central.gateway-control, key peripheral.1)", () => Amqp(controller, Central,
                c => PassiveThenPublishAsync(c, Topology.Activity.ControlExchange, Topology.Activity.RoutingKey(1)))),
            ("gateway 1 publishes its events to rtd.central.activity (key peripheral.1)", () => Amqp(gateway, Central,
                c => PassiveThenPublishAsync(c, Topology.Activity.Exchange, Topology.Activity.RoutingKey(1)))),
            ("gateway 1 declares its control queue, binds it (key peripheral.1) without declaring rtd.central.gateway-control, and consumes it",
                () => Amqp(gateway, Central, async c =>
                {
                    await c.ExchangeDeclarePassiveAsync(Topology.Activity.ControlExchange);
                    await c.QueueDeclareAsync(Topology.Activity.GatewayQueue(1), durable: false, exclusive: true, autoDelete: true);
                    await c.QueueBindAsync(Topology.Activity.GatewayQueue(1), Topology.Activity.ControlExchange, Topology.Activity.RoutingKey(1));
                    await c.BasicGetAsync(Topology.Activity.GatewayQueue(1), autoAck: true);
                })),
            ("controller checks rtd.central.config exists (passive) and publishes to it (key table.operation)", () => Amqp(controller, Central,
                c => PassiveThenPublishAsync(c, Topology.Central.ConfigExchange, "agent.upsert"))),
            ("controller checks rtd.central.realtime exists (passive) and publishes to it (key table)", () => Amqp(controller, Central,
                c => PassiveThenPublishAsync(c, Topology.Central.RealTimeExchange, "agent"))),
            ("controller serves rtd.central.config-snapshots (declare, bind without declaring, consume, error queue)", () => Amqp(controller, Central,
                c => ServeSnapshotsAsync(c, Topology.Central.ConfigSnapshotQueue, Topology.Central.ConfigSnapshotBindings))),
            ("controller serves rtd.central.realtime-snapshots (declare, bind without declaring, consume, error queue)", () => Amqp(controller, Central,
                c => ServeSnapshotsAsync(c, Topology.Central.RealTimeSnapshotQueue, Topology.Central.RealTimeSnapshotBindings))),
            ("controller answers a snapshot request on the requester's reply queue (default exchange)", () => Amqp(controller, Central,
                async c => await c.BasicPublishAsync("", Topology.Central.SnapshotReplyQueue(A, "a-config"), Body))),
            ("controller has its own bus endpoint", () => Amqp(controller, Central,
                c => DeclareBoundQueueAsync(c, Topology.BusEndpoint(Topology.Central.ControllerBusOwner), durable: false))),
            ("distributor A declares its config queue, binds it (#) to rtd.central.config and consumes it", () => Amqp(distributor, Central, async c =>
            {
                await c.ExchangeDeclarePassiveAsync(Topology.Central.ConfigExchange);
                await DeclareBoundQueueAsync(c, Topology.Central.DistributorConfigQueue(A));
                await c.QueueBindAsync(Topology.Central.DistributorConfigQueue(A), Topology.Central.ConfigExchange, Topology.AllKeys);
                await c.BasicGetAsync(Topology.Central.DistributorConfigQueue(A), autoAck: false);
            })),
            ("distributor A declares its real-time queue, binds it (#) without declaring and consumes it", () => Amqp(distributor, Central, async c =>
            {
                await DeclareBoundQueueAsync(c, Topology.Central.DistributorRealTimeQueue(A));
                await BindLikeTheHostsAsync(c, Topology.Central.DistributorRealTimeQueue(A), Topology.Central.DistributorRealTimeBindings);
                await c.BasicGetAsync(Topology.Central.DistributorRealTimeQueue(A), autoAck: false);
            })),
            ("distributor A declares its error queue", () => Amqp(distributor, Central, c => DeclareBoundQueueAsync(c, $"{Topology.Central.DistributorConfigQueue(A)}_error"))),
            ("distributor A requests a snapshot (publish to rtd.central.config-snapshot-requests)", () => Amqp(distributor, Central,
                c => PassiveThenPublishAsync(c, Topology.Central.ConfigSnapshotRequestExchange, ""))),
            ("distributor A requests a real-time snapshot (publish to rtd.central.realtime-snapshot-requests)", () => Amqp(distributor, Central,
                c => PassiveThenPublishAsync(c, Topology.Central.RealTimeSnapshotRequestExchange, ""))),
            ("distributor A has its bus endpoints (central and site vhost)", async () =>
                await Amqp(distributor, Central, c => DeclareBoundQueueAsync(c, Topology.BusEndpoint(Topology.Central.DistributorBusOwner(A)), durable: false))
                ?? await Amqp(distributor, siteA, c => DeclareBoundQueueAsync(c, Topology.BusEndpoint(Topology.Central.DistributorBusOwner(A)), durable: false))),
            ("distributor A declares and consumes its snapshot reply queue", () => Amqp(distributor, Central, async c =>
            {
                var queue = Topology.Central.SnapshotReplyQueue(A, "a-config");
                await c.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
                await c.BasicGetAsync(queue, autoAck: true);
            })),
            ("distributor A publishes to its site's exchanges (config key table.key, real-time key table)", () => Amqp(distributor, siteA, async c =>
            {
                foreach (var (exchange, key) in new[] { (Topology.Site.ConfigExchange(A), "skillgroup.10"), (Topology.Site.RealTimeExchange(A), "skillgroup") })
                {
                    await PassiveThenPublishAsync(c, exchange, key);
                }
            })),
            ("distributor A serves its site's snapshot queue and answers on a workstation's snapshot queue (default exchange)", () => Amqp(distributor, siteA, async c =>
            {
                await DeclareBoundQueueAsync(c, Topology.Site.SnapshotQueue(A));
                await BindLikeTheHostsAsync(c, Topology.Site.SnapshotQueue(A), Topology.Site.SnapshotQueueBindings(A));
                await c.BasicGetAsync(Topology.Site.SnapshotQueue(A), autoAck: false);
                await c.BasicPublishAsync("", Topology.Site.ClientSnapshotQueue(A, "ws2"), Body);
            })),
            ("workstation ws2 declares its own queue, binds it to its site's exchanges without declaring them and consumes it", () => Amqp(workstation, siteA, async c =>
            {
                var queue = Topology.Site.ClientQueue(A, "ws2");
                await DeclareBoundQueueAsync(c, queue);
                await BindLikeTheHostsAsync(c, queue, Topology.Site.ClientQueueBindings(A, ["skillgroup.*"]));
                await c.BasicGetAsync(queue, autoAck: false);
                await DeclareBoundQueueAsync(c, $"{queue}_error");
            })),
            ("workstation ws2 requests a snapshot (publish to rtd.<site>.snapshot-requests) and reads the chunks on its snapshot queue", () => Amqp(workstation, siteA, async c =>
            {
                await PassiveThenPublishAsync(c, Topology.Site.SnapshotRequestExchange(A), "");
                var queue = Topology.Site.ClientSnapshotQueue(A, "ws2");
                await c.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
                await c.BasicGetAsync(queue, autoAck: true);
            })),
            ("workstation ws2 has its bus endpoint", () => Amqp(workstation, siteA,
                c => DeclareBoundQueueAsync(c, Topology.BusEndpoint(Topology.Site.ClientQueue(A, "ws2")), durable: false))),
            ("operator reads queues of every vhost in the management API", async () =>
            {
                foreach (var vhost in new[] { Central, siteA, Topology.Site.VirtualHost(B) })
                {
                    var (status, _) = await Management(operatorUser, HttpMethod.Get, $"queues/{Uri.EscapeDataString(vhost)}");
                    if (status != HttpStatusCode.OK)
                    {
                        return $"HTTP {(int)status} for {vhost}";
                    }
                }
                return null;
            }),
        ];
    }

    private List<(string Name, Func<Task<string?>> Run)> Refused()
    {
        var controller = _users.For("controller");
        var distributorA = _users.For("distributor", A);
        var workstationA = _users.For("workstation", A, "ws2");
        var operatorUser = _users.For("operator");
        var siteA = Topology.Site.VirtualHost(A);
        var siteB = Topology.Site.VirtualHost(B);
        var queueOfB = Topology.Central.DistributorConfigQueue(B);
        var ws1 = Topology.Site.ClientQueue(A, "ws1");
        var gateway = _users.For("gateway", "1");
        var forged = Encoding.UTF8.GetBytes($$"""{"site":"{{A}}","kind":"config","siteSequence":2,"previousSiteSequence":1,"table":"agent","key":"1"}""");
        return
        [
            // a workstation against another workstation of its site (issue 12: one broker user per workstation)
            ("workstation ws2 publishes a forged SiteUpdate into ws1's queue exchange", () => Amqp(workstationA, siteA,
                c => c.BasicPublishAsync(ws1, "", forged).AsTask())),
            ("workstation ws2 publishes into ws1's queue through the default exchange", () => Amqp(workstationA, siteA,
                c => c.BasicPublishAsync("", ws1, forged).AsTask())),
            ("workstation ws2 binds ws1's queue exchange to its site's config exchange", () => Amqp(workstationA, siteA,
                c => c.ExchangeBindAsync(ws1, Topology.Site.ConfigExchange(A), Topology.AllKeys))),
            ("workstation ws2 binds ws1's queue to its site's real-time exchange", () => Amqp(workstationA, siteA,
                c => c.QueueBindAsync(ws1, Topology.Site.RealTimeExchange(A), Topology.AllKeys))),
            ("workstation ws2 consumes ws1's queue", () => Amqp(workstationA, siteA, c => c.BasicGetAsync(ws1, false))),
            ("workstation ws2 purges ws1's queue", () => Amqp(workstationA, siteA, c => c.QueuePurgeAsync(ws1))),
            ("workstation ws2 deletes ws1's queue", () => Amqp(workstationA, siteA, c => c.QueueDeleteAsync(ws1))),
            ("workstation ws2 deletes ws1's queue exchange", () => Amqp(workstationA, siteA, c => c.ExchangeDeleteAsync(ws1))),
            ("workstation ws2 reads ws1's snapshot chunks", () => Amqp(workstationA, siteA, c => c.BasicGetAsync(Topology.Site.ClientSnapshotQueue(A, "ws1"), false))),
            ("workstation ws2 publishes into ws1's bus endpoint", () => Amqp(workstationA, siteA, c => c.BasicPublishAsync(_ws1Bus, "", forged).AsTask())),
            ("workstation ws2 declares a MassTransit default bus endpoint (machine_process_bus_id)", () => Amqp(workstationA, siteA,
                c => DeclareBoundQueueAsync(c, $"vm_rtd_bus_{_id}", durable: false))),
            ("workstation ws2 declares a queue named like another workstation's (ws2-x)", () => Amqp(workstationA, siteA,
                c => c.QueueDeclareAsync(Topology.Site.ClientQueue(A, "ws2-x"), durable: false, exclusive: false, autoDelete: true))),
            ("workstation ws2 deletes its site's config exchange", () => Amqp(workstationA, siteA, c => c.ExchangeDeleteAsync(Topology.Site.ConfigExchange(A)))),
            ("workstation ws2 deletes its site's real-time exchange", () => Amqp(workstationA, siteA, c => c.ExchangeDeleteAsync(Topology.Site.RealTimeExchange(A)))),
            ("workstation ws2 deletes its site's snapshot request exchange", () => Amqp(workstationA, siteA, c => c.ExchangeDeleteAsync(Topology.Site.SnapshotRequestExchange(A)))),
            ("workstation ws2 re-declares its site's config exchange (configure right)", () => Amqp(workstationA, siteA,
                c => c.ExchangeDeclareAsync(Topology.Site.ConfigExchange(A), Topology.TopicExchange, durable: true))),
            ("workstation ws2 of site A opens site B's vhost", () => Amqp(workstationA, Topology.Site.VirtualHost(B), _ => Task.CompletedTask)),
            // a site's distributor against the shared topology and the other sites
            ("distributor A deletes rtd.central.config", () => Amqp(distributorA, Central, c => c.ExchangeDeleteAsync(Topology.Central.ConfigExchange))),
            ("distributor A deletes rtd.central.realtime", () => Amqp(distributorA, Central, c => c.ExchangeDeleteAsync(Topology.Central.RealTimeExchange))),
            ("distributor A deletes rtd.central.config-snapshot-requests", () => Amqp(distributorA, Central,
                c => c.ExchangeDeleteAsync(Topology.Central.ConfigSnapshotRequestExchange))),
            ("distributor A re-declares rtd.central.config (configure right)", () => Amqp(distributorA, Central,
                c => c.ExchangeDeclareAsync(Topology.Central.ConfigExchange, Topology.TopicExchange, durable: true))),
            ("distributor A deletes its site's config exchange", () => Amqp(distributorA, siteA, c => c.ExchangeDeleteAsync(Topology.Site.ConfigExchange(A)))),
            ("distributor A publishes into site B's distributor bus endpoint", () => Amqp(distributorA, Central, c => c.BasicPublishAsync(_distributorBBus, "", Body).AsTask())),
            ("distributor A publishes into site B's real-time endpoint exchange", () => Amqp(distributorA, Central,
                c => c.BasicPublishAsync(Topology.Central.DistributorRealTimeQueue(B), "", Body).AsTask())),
            ("distributor A declares a MassTransit default bus endpoint (machine_process_bus_id)", () => Amqp(distributorA, Central,
                c => DeclareBoundQueueAsync(c, $"vm_rtd_bus_{_id}", durable: false))),
            // the central controller against the shared topology
            ("controller deletes rtd.central.config", () => Amqp(controller, Central, c => c.ExchangeDeleteAsync(Topology.Central.ConfigExchange))),
            ("controller deletes rtd.central.realtime-snapshot-requests", () => Amqp(controller, Central,
                c => c.ExchangeDeleteAsync(Topology.Central.RealTimeSnapshotRequestExchange))),
            // a site's workstation
            ("workstation A opens the central vhost", () => Amqp(workstationA, Central, _ => Task.CompletedTask)),
            ("workstation A publishes to its site's real-time exchange", () => Amqp(workstationA, siteA, c => c.BasicPublishAsync(Topology.Site.RealTimeExchange(A), "agent.1", Body).AsTask())),
            ("workstation A publishes to its site's config exchange", () => Amqp(workstationA, siteA, c => c.BasicPublishAsync(Topology.Site.ConfigExchange(A), "agent.1", Body).AsTask())),
            ("workstation A consumes the distributor's snapshot requests", () => Amqp(workstationA, siteA, c => c.BasicGetAsync(Topology.Site.SnapshotQueue(A), false))),
            ("workstation A binds its queue to the snapshot request exchange (other workstations' requests)", () => Amqp(workstationA, siteA,
                c => c.ExchangeBindAsync(Topology.Site.ClientQueue(A, "ws2"), Topology.Site.SnapshotRequestExchange(A), Topology.AllKeys))),
            ("workstation A declares a queue outside rtd.<site>.client.*", () => Amqp(workstationA, siteA, c => c.QueueDeclareAsync($"rtd.{A}.distributor.stolen", durable: false, exclusive: false, autoDelete: true))),
            ("workstation A deletes the distributor's snapshot queue", () => Amqp(workstationA, siteA, c => c.QueueDeleteAsync(Topology.Site.SnapshotQueue(A)))),
            // a site's distributor
            ("distributor A publishes to rtd.central.config", () => Amqp(distributorA, Central, c => c.BasicPublishAsync(Topology.Central.ConfigExchange, "agent.upsert", Body).AsTask())),
            ("distributor A publishes to rtd.central.realtime", () => Amqp(distributorA, Central, c => c.BasicPublishAsync(Topology.Central.RealTimeExchange, "agent", Body).AsTask())),
            ("distributor A consumes site B's config queue", () => Amqp(distributorA, Central, c => c.BasicGetAsync(queueOfB, false))),
            ("distributor A binds site B's config queue", () => Amqp(distributorA, Central, c => c.QueueBindAsync(queueOfB, Topology.Central.RealTimeExchange, Topology.AllKeys))),
            ("distributor A deletes site B's config queue", () => Amqp(distributorA, Central, c => c.QueueDeleteAsync(queueOfB))),
            ("distributor A consumes the central snapshot request queue (other sites' requests)", () => Amqp(distributorA, Central, c => c.BasicGetAsync(Topology.Central.ConfigSnapshotQueue, false))),
            ("distributor A deletes the central snapshot request queue", () => Amqp(distributorA, Central, c => c.QueueDeleteAsync(Topology.Central.ConfigSnapshotQueue))),
            ("distributor A consumes the central real-time snapshot request queue", () => Amqp(distributorA, Central, c => c.BasicGetAsync(Topology.Central.RealTimeSnapshotQueue, false))),
            ("distributor A binds its queue to the real-time snapshot request exchange", () => Amqp(distributorA, Central,
                c => c.QueueBindAsync(Topology.Central.DistributorConfigQueue(A), Topology.Central.RealTimeSnapshotRequestExchange, ""))),
            ("workstation A publishes a real-time snapshot request (central vhost)", () => Amqp(workstationA, Central,
                c => c.BasicPublishAsync(Topology.Central.RealTimeSnapshotRequestExchange, "", Body).AsTask())),
            ("distributor A binds its queue to the snapshot request exchange (other sites' requests)", () => Amqp(distributorA, Central,
                c => c.QueueBindAsync(Topology.Central.DistributorConfigQueue(A), Topology.Central.ConfigSnapshotRequestExchange, ""))),
            ("distributor A binds its queue to rtd.central.config with a key other than # (topic permission)", () => Amqp(distributorA, Central,
                c => c.QueueBindAsync(Topology.Central.DistributorConfigQueue(A), Topology.Central.ConfigExchange, "agent.*"))),
            ("distributor A opens site B's vhost", () => Amqp(distributorA, siteB, _ => Task.CompletedTask)),
            ("distributor A publishes a malformed routing key to its site's exchange (topic permission)", () => Amqp(distributorA, siteA,
                c => c.BasicPublishAsync(Topology.Site.ConfigExchange(A), "agent", Body).AsTask())),
            ("distributor A consumes a workstation's queue", () => Amqp(distributorA, siteA, c => c.BasicGetAsync(Topology.Site.ClientQueue(A, "ws1"), false))),
            // the central controller
            ("controller consumes a site's distributor queue", () => Amqp(controller, Central, c => c.BasicGetAsync(Topology.Central.DistributorConfigQueue(A), false))),
            ("controller binds a queue to rtd.central.config", () => Amqp(controller, Central,
                c => c.QueueBindAsync(Topology.Central.ConfigSnapshotQueue, Topology.Central.ConfigExchange, Topology.AllKeys))),
            ("controller publishes a malformed routing key to rtd.central.config (topic permission)", () => Amqp(controller, Central,
                c => c.BasicPublishAsync(Topology.Central.ConfigExchange, "agent", Body).AsTask())),
            ("controller opens a site vhost", () => Amqp(controller, siteA, _ => Task.CompletedTask)),
            // a peripheral's gateway (issue 16) against the other peripherals and the shared exchanges
            ("gateway 1 publishes an event with peripheral 2's routing key (topic permission)", () => Amqp(gateway, Central,
                c => c.BasicPublishAsync(Topology.Activity.Exchange, Topology.Activity.RoutingKey(2), Body).AsTask())),
            ("gateway 1 re-declares rtd.central.activity (configure right)", () => Amqp(gateway, Central,
                c => c.ExchangeDeclareAsync(Topology.Activity.Exchange, Topology.TopicExchange, durable: true))),
            ("gateway 1 deletes rtd.central.activity", () => Amqp(gateway, Central, c => c.ExchangeDeleteAsync(Topology.Activity.Exchange))),
            ("gateway 1 deletes rtd.central.gateway-control", () => Amqp(gateway, Central, c => c.ExchangeDeleteAsync(Topology.Activity.ControlExchange))),
            ("gateway 1 publishes a resync request to rtd.central.gateway-control", () => Amqp(gateway, Central,
                c => c.BasicPublishAsync(Topology.Activity.ControlExchange, Topology.Activity.RoutingKey(2), Body).AsTask())),
            ("gateway 1 binds its control queue with peripheral 2's key (topic permission)", () => Amqp(gateway, Central, async c =>
            {
                await c.QueueDeclareAsync(Topology.Activity.GatewayQueue(1), durable: false, exclusive: true, autoDelete: true);
                await c.QueueBindAsync(Topology.Activity.GatewayQueue(1), Topology.Activity.ControlExchange, Topology.Activity.RoutingKey(2));
            })),
            ("gateway 1 declares peripheral 2's control queue", () => Amqp(gateway, Central,
                c => c.QueueDeclareAsync(Topology.Activity.GatewayQueue(2), durable: false, exclusive: true, autoDelete: true))),
            ("gateway 1 consumes the center's activity queue", () => Amqp(gateway, Central, c => c.BasicGetAsync(Topology.Activity.Queue, false))),
            ("gateway 1 publishes to rtd.central.config", () => Amqp(gateway, Central,
                c => c.BasicPublishAsync(Topology.Central.ConfigExchange, "agent.upsert", Body).AsTask())),
            ("controller deletes rtd.central.activity", () => Amqp(controller, Central, c => c.ExchangeDeleteAsync(Topology.Activity.Exchange))),
            ("controller publishes to rtd.central.activity (forging a peripheral's events)", () => Amqp(controller, Central,
                c => c.BasicPublishAsync(Topology.Activity.Exchange, Topology.Activity.RoutingKey(1), Body).AsTask())),
            ("distributor A binds its queue to rtd.central.activity", () => Amqp(distributorA, Central,
                c => c.QueueBindAsync(Topology.Central.DistributorConfigQueue(A), Topology.Activity.Exchange, Topology.Activity.AllPeripherals))),
            // the operator
            ("operator publishes to rtd.central.config", () => Amqp(operatorUser, Central, c => c.BasicPublishAsync(Topology.Central.ConfigExchange, "agent.upsert", Body).AsTask())),
            ("operator consumes a distributor queue over AMQP", () => Amqp(operatorUser, Central, c => c.BasicGetAsync(Topology.Central.DistributorConfigQueue(A), false))),
            ("operator deletes a queue in the management API", () => Refusal(Management(operatorUser, HttpMethod.Delete, QueuePath(Central, queueOfB)))),
            ("operator purges a queue in the management API", () => Refusal(Management(operatorUser, HttpMethod.Delete, $"{QueuePath(Central, queueOfB)}/contents"))),
            ("operator reads messages in the management API", () => Refusal(Management(operatorUser, HttpMethod.Post, $"{QueuePath(Central, queueOfB)}/get",
                new { count = 1, ackmode = "ack_requeue_true", encoding = "auto" }))),
            ("operator publishes in the management API", () => Refusal(Management(operatorUser, HttpMethod.Post,
                $"exchanges/{Uri.EscapeDataString(Central)}/{Uri.EscapeDataString(Topology.Central.ConfigExchange)}/publish",
                new { properties = new { }, routing_key = "agent.upsert", payload = "{}", payload_encoding = "string" }))),
            ("operator creates a user in the management API", () => Refusal(Management(operatorUser, HttpMethod.Put, $"users/{_id}-intruder",
                new { password = "x", tags = "administrator" }))),
            ("operator grants itself permissions in the management API", () => Refusal(Management(operatorUser, HttpMethod.Put,
                $"permissions/{Uri.EscapeDataString(Central)}/{Uri.EscapeDataString(operatorUser.User)}", new { configure = ".*", write = ".*", read = ".*" }))),
        ];
    }

    /// <summary>
    /// Declares, as the all-permissions test user, the definitions' exchanges (Topology.*.DeclaredExchanges, as
    /// infra/rabbitmq/apply-definitions.sh does) and what the hosts would have declared, so crossings meet a real entity.
    /// </summary>
    private async Task DeclareTopologyAsync()
    {
        var full = new RoleCredentials(TestSettings.RabbitUser, TestSettings.RabbitPassword);
        await WithChannelAsync(full, Central, async c =>
        {
            foreach (var exchange in Topology.Central.DeclaredExchanges)
            {
                await c.ExchangeDeclareAsync(exchange.Name, exchange.Type, durable: true);
            }
            foreach (var (queue, bindings) in new[]
            {
                (Topology.Central.ConfigSnapshotQueue, Topology.Central.ConfigSnapshotBindings),
                (Topology.Central.RealTimeSnapshotQueue, Topology.Central.RealTimeSnapshotBindings),
            })
            {
                await DeclareBoundQueueAsync(c, queue);
                await BindLikeTheHostsAsync(c, queue, bindings);
            }
            foreach (var site in new[] { A, B })
            {
                await DeclareBoundQueueAsync(c, Topology.Central.DistributorConfigQueue(site));
                await c.QueueBindAsync(Topology.Central.DistributorConfigQueue(site), Topology.Central.ConfigExchange, Topology.AllKeys);
                await DeclareBoundQueueAsync(c, Topology.Central.DistributorRealTimeQueue(site));
            }
            await DeclareBoundQueueAsync(c, _distributorBBus, durable: false);
            await c.QueueDeclareAsync(Topology.Activity.Queue, durable: true, exclusive: false, autoDelete: false);
        });
        foreach (var site in new[] { A, B })
        {
            await WithChannelAsync(full, Topology.Site.VirtualHost(site), async c =>
            {
                foreach (var exchange in Topology.Site.DeclaredExchanges(site))
                {
                    await c.ExchangeDeclareAsync(exchange.Name, exchange.Type, durable: true);
                }
                await DeclareBoundQueueAsync(c, Topology.Site.SnapshotQueue(site));
                await BindLikeTheHostsAsync(c, Topology.Site.SnapshotQueue(site), Topology.Site.SnapshotQueueBindings(site));
                await DeclareBoundQueueAsync(c, Topology.Site.ClientQueue(site, "ws1"));
                await c.QueueDeclareAsync(Topology.Site.ClientSnapshotQueue(site, "ws1"), durable: false, exclusive: false, autoDelete: false);
            });
        }
        await WithChannelAsync(full, Topology.Site.VirtualHost(A), c => DeclareBoundQueueAsync(c, _ws1Bus, durable: false));
    }

    /// <summary>Checks that the exchange exists (passive: no configure right needed) and publishes to it with the key.</summary>
    private static async Task PassiveThenPublishAsync(IChannel channel, string exchange, string key)
    {
        await channel.ExchangeDeclarePassiveAsync(exchange);
        await channel.BasicPublishAsync(exchange, key, Body);
    }

    /// <summary>What the center's snapshot service does on its queue: declare it, bind it without declaring, its error queue, consume.</summary>
    private static async Task ServeSnapshotsAsync(IChannel channel, string queue, IEnumerable<ExchangeBinding> bindings)
    {
        await DeclareBoundQueueAsync(channel, queue);
        await BindLikeTheHostsAsync(channel, queue, bindings);
        await DeclareBoundQueueAsync(channel, $"{queue}_error");
        await channel.BasicGetAsync(queue, autoAck: false);
    }

    /// <summary>As the hosts bind (BrokerDefinitions.BindWithoutDeclaring): from the shared exchange to the endpoint's own exchange.</summary>
    private static async Task BindLikeTheHostsAsync(IChannel channel, string endpoint, IEnumerable<ExchangeBinding> bindings)
    {
        foreach (var binding in bindings)
        {
            await channel.ExchangeBindAsync(endpoint, binding.Source.Name, binding.RoutingKey);
        }
    }

    /// <summary>A queue and the exchange of the same name bound to it, as a MassTransit receive endpoint declares them.</summary>
    private static async Task DeclareBoundQueueAsync(IChannel channel, string queue, bool durable = true)
    {
        await channel.QueueDeclareAsync(queue, durable, exclusive: false, autoDelete: !durable);
        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable, autoDelete: !durable);
        await channel.QueueBindAsync(queue, queue, "");
    }

    /// <summary>Runs an operation as a user; returns null when the broker allowed it, else the refusal (reply code and text).</summary>
    private static async Task<string?> Amqp(RoleCredentials who, string vhost, Func<IChannel, Task> operation)
    {
        try
        {
            await WithChannelAsync(who, vhost, operation);
            return null;
        }
        catch (Exception exception) when (Refusal(exception) is { } refusal)
        {
            return refusal;
        }
    }

    private static async Task WithChannelAsync(RoleCredentials who, string vhost, Func<IChannel, Task> operation)
    {
        var factory = new ConnectionFactory
        {
            HostName = TestSettings.RabbitHost,
            Port = TestSettings.RabbitPort,
            UserName = who.User,
            Password = who.Password,
            VirtualHost = vhost,
            ClientProvidedName = "rtd security test",
            AutomaticRecoveryEnabled = false,
        };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await operation(channel);
    }

    /// <summary>ACCESS_REFUSED (403) on a channel, or NOT_ALLOWED (530) "access to vhost ... refused" on opening one; anything else is no refusal.</summary>
    private static string? Refusal(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is OperationInterruptedException { ShutdownReason: { } reason }
                && (reason.ReplyCode == 403 || (reason.ReplyCode == 530 && reason.ReplyText.Contains("access to vhost", StringComparison.Ordinal))))
            {
                return $"{reason.ReplyCode} {reason.ReplyText}";
            }
        }
        return null;
    }

    /// <summary>401/403 from the management API, or its 400 that carries the broker's ACCESS_REFUSED (a publish through the API).</summary>
    private static async Task<string?> Refusal(Task<(HttpStatusCode Status, string Body)> call)
    {
        var (status, body) = await call;
        return status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
            || (status == HttpStatusCode.BadRequest && body.Contains("ACCESS_REFUSED", StringComparison.Ordinal))
            ? $"HTTP {(int)status} {status} {body}"
            : null;
    }

    private static string QueuePath(string vhost, string queue) => $"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}";

    private static async Task<(HttpStatusCode Status, string Body)> Management(RoleCredentials who, HttpMethod method, string path, object? body = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{who.User}:{who.Password}")));
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
