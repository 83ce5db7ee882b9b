using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Security;

/// <summary>
/// The real hosts (the same Build methods the executables use) under the per-role users of infra/rabbitmq/roles.conf:
/// every queue, exchange, binding, error queue and temporary bus endpoint they declare must be allowed, or the flow
/// below never completes.
/// </summary>
public sealed class When_the_hosts_run_under_their_role_users : IAsyncLifetime
{
    private RtdSystem _system = null!;
    private RoleUsers _users = null!;
    private string _site = "";
    private ClientView _view = null!;

    public async Task InitializeAsync()
    {
        var id = RtdSystem.NewId();
        _site = $"t{id}-a";
        using (var broker = new Broker())
        {
            await broker.CreateVirtualHostAsync(RtdSystem.CentralVirtualHostOf(id));
            await broker.CreateVirtualHostAsync(Topology.Site.VirtualHost(_site));
            // the shared exchanges come from the definitions: no role may declare them
            await broker.DeclareDefinitionsAsync(RtdSystem.CentralVirtualHostOf(id), [_site]);
        }
        _users = await RoleUsers.CreateAsync(RtdSystem.CentralVirtualHostOf(id), [_site], $"{id}-", [(_site, "ws1")]);
        _system = await RtdSystem.StartAsync(_users.For("controller").Settings(), id);
        Assert.Equal(_site, _system.Site("a"));
        await _system.StartDistributorAsync(_site, extra: _users.For("distributor", _site).Settings());
        var client = await _system.StartClientAsync(_site, "ws1", _users.For("workstation", _site, "ws1").Settings(), "#");
        _view = client.Services.GetRequiredService<ClientView>();
    }

    public async Task DisposeAsync()
    {
        await _system.DisposeAsync();
        await _users.DisposeAsync();
    }

    [Fact]
    public async Task Should_carry_configuration_and_real_time_from_the_center_to_the_client()
    {
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" })).StatusCode);
        await _view.WaitForAsync(SiteUpdate.ConfigKind, "peripheral", "1", r => r.Value?.GetProperty("name").GetString() == "ACD 1");

        var publisher = _system.Central.Services.GetRequiredService<RealTimePublisher>();
        await publisher.PublishAsync(RealTimeTables.SkillGroup, [new RealTimeRow("10", 1, DateTimeOffset.UtcNow, Json.ToElement(new { callsQueued = 4 }))],
            fullRefresh: false, CancellationToken.None);
        var shown = await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", _ => true);
        Assert.Equal(4, shown.Value!.Value.GetProperty("callsQueued").GetInt32());
    }

    [Fact]
    public async Task Should_let_the_distributor_move_a_poison_change_to_its_error_queue()
    {
        // published with the test's all-permissions user: an unknown table is poison and goes to the _error queue,
        // which the distributor declares under its own role user
        var factory = TestSettings.RabbitConnection(_system.CentralVirtualHost);
        await using (var connection = await factory.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true)))
        {
            var body = Encoding.UTF8.GetBytes(
                """{"sequence":999,"previousSequence":998,"table":"nosuchtable","operation":"upsert","key":"1","row":{"id":1},"committedAt":"2026-01-01T00:00:00Z"}""");
            await channel.BasicPublishAsync(Topology.Central.ConfigExchange, "nosuchtable.upsert", true,
                new BasicProperties { ContentType = "application/json", MessageId = "poison-999" }, body);
        }

        var error = await Eventually.Until(() => _system.Broker.QueueAsync(_system.CentralVirtualHost, $"{Topology.Central.DistributorConfigQueue(_site)}_error"),
            q => q is { Messages: 1 }, "the poison change in the distributor's error queue");
        Assert.Equal(1, error!.Messages);

        // the distributor still applies the next good change
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("peripheral", 2, new { name = "ACD 2", kind = "acd" })).StatusCode);
        await _view.WaitForAsync(SiteUpdate.ConfigKind, "peripheral", "2", _ => true);
    }
}
