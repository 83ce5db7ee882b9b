using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// Distributor failover seen from a client: instances a and b of one site share the replica and the site's queues
/// (single active consumer); when a stops, b applies and publishes, and the running client's view stays exact.
/// </summary>
public sealed class When_the_active_distributor_stops_while_a_client_runs : SystemTest
{
    [Fact]
    public async Task Should_keep_the_view_current_through_the_standby()
    {
        var active = await Rtd.StartDistributorAsync(Site, "a");
        await Rtd.StartDistributorAsync(Site, "b");
        var view = (await Rtd.StartClientAsync(Site, "ws1")).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1);

        await SeedSalesAsync();
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["10", "11"], version: 1);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "11", r => r.Version == 1);

        await Rtd.StopAsync(active);
        await PutAsync("skillgroup", 10, new { name = "Sales EMEA", peripheralId = 1 });
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["10"], version: 2);
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["11"], version: 3);

        await view.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "10", r => r.Value?.GetProperty("name").GetString() == "Sales EMEA");
        // two messages, which the distributor may apply in either order: wait for both
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Version == 2);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "11", r => r.Version == 3);
        Assert.Equal(await Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup), view.Versions(RealTimeTables.SkillGroup));
        Assert.Equal(3L, await Rtd.AppliedSequenceAsync(Site));
    }
}
