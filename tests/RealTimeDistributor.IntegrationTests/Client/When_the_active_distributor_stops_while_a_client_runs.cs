using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// Distributor failover seen from a client: instances a and b of one site share the replica and the site's queues
/// (single active consumer); when a stops, b applies and publishes, and the running client's view stays exact.
/// </summary>
public sealed class When_the_active_distributor_stops_while_a_client_runs : IAsyncLifetime
{
    private RtdSystem _system = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        _site = _system.Site("a");
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    [Fact]
    public async Task Should_keep_the_view_current_through_the_standby()
    {
        var active = await _system.StartDistributorAsync(_site, "a");
        await _system.StartDistributorAsync(_site, "b");
        var view = (await _system.StartClientAsync(_site, "ws1")).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1);

        await _system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" });
        await _system.PutConfigAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        await _system.PublishAsync(RealTimeTables.SkillGroup, ["10", "11"], version: 1);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "11", r => r.Version == 1);

        await _system.StopAsync(active);
        await _system.PutConfigAsync("skillgroup", 10, new { name = "Sales EMEA", peripheralId = 1 });
        await _system.PublishAsync(RealTimeTables.SkillGroup, ["10"], version: 2);
        await _system.PublishAsync(RealTimeTables.SkillGroup, ["11"], version: 3);

        await view.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "10", r => r.Value?.GetProperty("name").GetString() == "Sales EMEA");
        // two messages, which the distributor may apply in either order: wait for both
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Version == 2);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "11", r => r.Version == 3);
        Assert.Equal(await _system.ReplicaVersionsAsync(_site, RealTimeTables.SkillGroup), view.Versions(RealTimeTables.SkillGroup));
        Assert.Equal(3L, await _system.QueryReplicaAsync<long>(_site, "SELECT applied_config_sequence FROM sync_state"));
    }
}
