using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
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
    private RoleUsers _users = null!;

    private string Central => RtdSystem.CentralVirtualHostOf(_id);

    private string A => $"t{_id}-a";

    private string B => $"t{_id}-b";

    public async Task InitializeAsync()
    {
        foreach (var vhost in new[] { Central, Topology.Site.VirtualHost(A), Topology.Site.VirtualHost(B) })
        {
            await _broker.CreateVirtualHostAsync(vhost);
        }
        _users = await RoleUsers.CreateAsync(Central, [A, B], $"{_id}-");
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
        var workstation = _users.For("workstation", A);
        var operatorUser = _users.For("operator");
        var siteA = Topology.Site.VirtualHost(A);
        var bus = $"vm_RealTimeDistributor_bus_{_id}";
        return
        [
            ("controller declares and publishes to rtd.central.config (key table.operation)", () => Amqp(controller, Central, async c =>
            {
                await c.ExchangeDeclareAsync(Topology.Central.ConfigExchange, Topology.TopicExchange, durable: true);
                await c.BasicPublishAsync(Topology.Central.ConfigExchange, "agent.upsert", Body);
            })),
            ("controller declares and publishes to rtd.central.realtime (key table)", () => Amqp(controller, Central, async c =>
            {
                await c.ExchangeDeclareAsync(Topology.Central.RealTimeExchange, Topology.TopicExchange, durable: true);
                await c.BasicPublishAsync(Topology.Central.RealTimeExchange, "agent", Body);
            })),
            ("controller serves rtd.central.config-snapshots (declare, bind, consume, error queue)", () => Amqp(controller, Central, async c =>
            {
                await DeclareBoundQueueAsync(c, Topology.Central.ConfigSnapshotQueue);
                await c.ExchangeDeclareAsync(Topology.Central.ConfigSnapshotRequestExchange, ExchangeType.Fanout, durable: true);
                await c.QueueBindAsync(Topology.Central.ConfigSnapshotQueue, Topology.Central.ConfigSnapshotRequestExchange, "");
                await DeclareBoundQueueAsync(c, $"{Topology.Central.ConfigSnapshotQueue}_error");
                await c.BasicGetAsync(Topology.Central.ConfigSnapshotQueue, autoAck: false);
            })),
            ("controller serves rtd.central.realtime-snapshots (declare, bind, consume, error queue)", () => Amqp(controller, Central, async c =>
            {
                await DeclareBoundQueueAsync(c, Topology.Central.RealTimeSnapshotQueue);
                await c.ExchangeDeclareAsync(Topology.Central.RealTimeSnapshotRequestExchange, ExchangeType.Fanout, durable: true);
                await c.QueueBindAsync(Topology.Central.RealTimeSnapshotQueue, Topology.Central.RealTimeSnapshotRequestExchange, "");
                await DeclareBoundQueueAsync(c, $"{Topology.Central.RealTimeSnapshotQueue}_error");
                await c.BasicGetAsync(Topology.Central.RealTimeSnapshotQueue, autoAck: false);
            })),
            ("controller answers a snapshot request on the requester's reply queue (default exchange)", () => Amqp(controller, Central,
                async c => await c.BasicPublishAsync("", Topology.Central.SnapshotReplyQueue(A, "a-config"), Body))),
            ("controller has its own temporary _bus_ endpoint", () => Amqp(controller, Central, c => DeclareBoundQueueAsync(c, bus + "c", durable: false))),
            ("distributor A declares, binds (#) and consumes its config and real-time queues", () => Amqp(distributor, Central, async c =>
            {
                foreach (var (queue, exchange) in new[]
                {
                    (Topology.Central.DistributorConfigQueue(A), Topology.Central.ConfigExchange),
                    (Topology.Central.DistributorRealTimeQueue(A), Topology.Central.RealTimeExchange),
                })
                {
                    await c.ExchangeDeclareAsync(exchange, Topology.TopicExchange, durable: true);
                    await DeclareBoundQueueAsync(c, queue);
                    await c.QueueBindAsync(queue, exchange, Topology.AllKeys);
                    await c.BasicGetAsync(queue, autoAck: false);
                }
            })),
            ("distributor A declares its error queue", () => Amqp(distributor, Central, c => DeclareBoundQueueAsync(c, $"{Topology.Central.DistributorConfigQueue(A)}_error"))),
            ("distributor A requests a snapshot (declare and publish to rtd.central.config-snapshot-requests)", () => Amqp(distributor, Central, async c =>
            {
                await c.ExchangeDeclareAsync(Topology.Central.ConfigSnapshotRequestExchange, ExchangeType.Fanout, durable: true);
                await c.BasicPublishAsync(Topology.Central.ConfigSnapshotRequestExchange, "", Body);
            })),
            ("distributor A requests a real-time snapshot (declare and publish to rtd.central.realtime-snapshot-requests)", () => Amqp(distributor, Central, async c =>
            {
                await c.ExchangeDeclareAsync(Topology.Central.RealTimeSnapshotRequestExchange, ExchangeType.Fanout, durable: true);
                await c.BasicPublishAsync(Topology.Central.RealTimeSnapshotRequestExchange, "", Body);
            })),
            ("distributor A has its temporary _bus_ endpoint", () => Amqp(distributor, Central, c => DeclareBoundQueueAsync(c, bus + "d", durable: false))),
            ("distributor A declares and consumes its snapshot reply queue", () => Amqp(distributor, Central, async c =>
            {
                var queue = Topology.Central.SnapshotReplyQueue(A, "a-config");
                await c.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
                await c.BasicGetAsync(queue, autoAck: true);
            })),
            ("distributor A declares and publishes to its site's exchanges (config key table.key, real-time key table)", () => Amqp(distributor, siteA, async c =>
            {
                foreach (var (exchange, key) in new[] { (Topology.Site.ConfigExchange(A), "skillgroup.10"), (Topology.Site.RealTimeExchange(A), "skillgroup") })
                {
                    await c.ExchangeDeclareAsync(exchange, Topology.TopicExchange, durable: true);
                    await c.BasicPublishAsync(exchange, key, Body);
                }
            })),
            ("distributor A serves its site's snapshot queue and answers on a workstation's snapshot queue (default exchange)", () => Amqp(distributor, siteA, async c =>
            {
                await DeclareBoundQueueAsync(c, Topology.Site.SnapshotQueue(A));
                await c.ExchangeDeclareAsync(Topology.Site.SnapshotRequestExchange(A), ExchangeType.Fanout, durable: true);
                await c.QueueBindAsync(Topology.Site.SnapshotQueue(A), Topology.Site.SnapshotRequestExchange(A), "");
                await c.BasicGetAsync(Topology.Site.SnapshotQueue(A), autoAck: false);
                await c.BasicPublishAsync("", Topology.Site.ClientSnapshotQueue(A, "ws2"), Body);
            })),
            ("workstation A declares its own queue, binds it to its site's exchanges and consumes it", () => Amqp(workstation, siteA, async c =>
            {
                var queue = Topology.Site.ClientQueue(A, "ws2");
                await DeclareBoundQueueAsync(c, queue);
                foreach (var exchange in Topology.Site.Exchanges(A))
                {
                    await c.ExchangeDeclareAsync(exchange, Topology.TopicExchange, durable: true);
                    await c.QueueBindAsync(queue, exchange, "skillgroup.*");
                }
                await c.BasicGetAsync(queue, autoAck: false);
                await DeclareBoundQueueAsync(c, $"{queue}_error");
            })),
            ("workstation A requests a snapshot (publish to rtd.<site>.snapshot-requests) and reads the chunks on its snapshot queue", () => Amqp(workstation, siteA, async c =>
            {
                await c.ExchangeDeclareAsync(Topology.Site.SnapshotRequestExchange(A), ExchangeType.Fanout, durable: true);
                await c.BasicPublishAsync(Topology.Site.SnapshotRequestExchange(A), "", Body);
                var queue = Topology.Site.ClientSnapshotQueue(A, "ws2");
                await c.QueueDeclareAsync(queue, durable: false, exclusive: false, autoDelete: true);
                await c.BasicGetAsync(queue, autoAck: true);
            })),
            ("workstation A has its temporary _bus_ endpoint", () => Amqp(workstation, siteA, c => DeclareBoundQueueAsync(c, bus + "w", durable: false))),
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
        var workstationA = _users.For("workstation", A);
        var operatorUser = _users.For("operator");
        var siteA = Topology.Site.VirtualHost(A);
        var siteB = Topology.Site.VirtualHost(B);
        var queueOfB = Topology.Central.DistributorConfigQueue(B);
        return
        [
            // a site's workstation
            ("workstation A opens site B's vhost", () => Amqp(workstationA, siteB, _ => Task.CompletedTask)),
            ("workstation A opens the central vhost", () => Amqp(workstationA, Central, _ => Task.CompletedTask)),
            ("workstation A publishes to its site's real-time exchange", () => Amqp(workstationA, siteA, c => c.BasicPublishAsync(Topology.Site.RealTimeExchange(A), "agent.1", Body).AsTask())),
            ("workstation A publishes to its site's config exchange", () => Amqp(workstationA, siteA, c => c.BasicPublishAsync(Topology.Site.ConfigExchange(A), "agent.1", Body).AsTask())),
            ("workstation A consumes the distributor's snapshot requests", () => Amqp(workstationA, siteA, c => c.BasicGetAsync(Topology.Site.SnapshotQueue(A), false))),
            ("workstation A binds its queue to the snapshot request exchange (other workstations' requests)", () => Amqp(workstationA, siteA,
                c => c.QueueBindAsync(Topology.Site.ClientQueue(A, "ws1"), Topology.Site.SnapshotRequestExchange(A), ""))),
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

    /// <summary>Declares, as the all-permissions test user, what the hosts would have declared, so crossings meet a real entity.</summary>
    private async Task DeclareTopologyAsync()
    {
        await WithChannelAsync(new RoleCredentials(TestSettings.RabbitUser, TestSettings.RabbitPassword), Central, async c =>
        {
            await c.ExchangeDeclareAsync(Topology.Central.ConfigExchange, Topology.TopicExchange, durable: true);
            await c.ExchangeDeclareAsync(Topology.Central.RealTimeExchange, Topology.TopicExchange, durable: true);
            await DeclareBoundQueueAsync(c, Topology.Central.ConfigSnapshotQueue);
            await c.ExchangeDeclareAsync(Topology.Central.ConfigSnapshotRequestExchange, ExchangeType.Fanout, durable: true);
            await c.QueueBindAsync(Topology.Central.ConfigSnapshotQueue, Topology.Central.ConfigSnapshotRequestExchange, "");
            await DeclareBoundQueueAsync(c, Topology.Central.RealTimeSnapshotQueue);
            await c.ExchangeDeclareAsync(Topology.Central.RealTimeSnapshotRequestExchange, ExchangeType.Fanout, durable: true);
            await c.QueueBindAsync(Topology.Central.RealTimeSnapshotQueue, Topology.Central.RealTimeSnapshotRequestExchange, "");
            foreach (var site in new[] { A, B })
            {
                await DeclareBoundQueueAsync(c, Topology.Central.DistributorConfigQueue(site));
                await c.QueueBindAsync(Topology.Central.DistributorConfigQueue(site), Topology.Central.ConfigExchange, Topology.AllKeys);
            }
        });
        foreach (var site in new[] { A, B })
        {
            await WithChannelAsync(new RoleCredentials(TestSettings.RabbitUser, TestSettings.RabbitPassword), Topology.Site.VirtualHost(site), async c =>
            {
                foreach (var exchange in Topology.Site.Exchanges(site))
                {
                    await c.ExchangeDeclareAsync(exchange, Topology.TopicExchange, durable: true);
                }
                await DeclareBoundQueueAsync(c, Topology.Site.SnapshotQueue(site));
                await c.ExchangeDeclareAsync(Topology.Site.SnapshotRequestExchange(site), ExchangeType.Fanout, durable: true);
                await c.QueueBindAsync(Topology.Site.SnapshotQueue(site), Topology.Site.SnapshotRequestExchange(site), "");
                await DeclareBoundQueueAsync(c, Topology.Site.ClientQueue(site, "ws1"));
            });
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
