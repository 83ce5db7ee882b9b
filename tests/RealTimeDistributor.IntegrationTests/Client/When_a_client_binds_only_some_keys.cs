using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>Filtered bindings: the snapshot and the stream both hold only what the client's binding keys ask for, and skipped tables are no gap.</summary>
public sealed class When_a_client_binds_only_some_keys : SystemTest
{
    protected override bool StartsDistributor => true;

    [Fact]
    public async Task Should_receive_only_what_it_asked_for_in_the_snapshot_and_in_the_stream()
    {
        await SeedSalesAsync();
        await PutAsync("agent", 1001, new { name = "Ana", peripheralId = 1 });
        await PutAsync("agent", 1002, new { name = "Ben", peripheralId = 1 });
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["10"], version: 1);
        await Rtd.PublishAsync(RealTimeTables.Agent, ["1001", "1002"], version: 1);
        await Rtd.WaitReplicaHoldsAsync(Site, applied: 4, realTimeRows: 3, version: 1);

        var skillGroups = (await Rtd.StartClientAsync(Site, "sg", "skillgroup.*")).Services.GetRequiredService<ClientView>();
        var oneAgent = (await Rtd.StartClientAsync(Site, "ana", "agent.1001")).Services.GetRequiredService<ClientView>();
        await skillGroups.WaitForSnapshotsAsync(1);
        await oneAgent.WaitForSnapshotsAsync(1);

        Assert.Equal(["config:skillgroup:10", "realtime:skillgroup:10"], Names(skillGroups));
        Assert.Equal(["config:agent:1001", "realtime:agent:1001"], Names(oneAgent));

        // now the stream: changes to every table, interleaved
        await PutAsync("calltype", 1, new { name = "Support", serviceLevelSeconds = 20 });
        await PutAsync("agent", 1002, new { name = "Ben B", peripheralId = 1 });
        await Rtd.PublishAsync(RealTimeTables.Agent, ["1002"], version: 2);
        await PutAsync("skillgroup", 11, new { name = "Support", peripheralId = 1 });
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["11"], version: 2);
        await PutAsync("agent", 1001, new { name = "Ana A", peripheralId = 1 });
        await Rtd.PublishAsync(RealTimeTables.Agent, ["1001"], version: 2);
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["10"], version: 2);
        await Rtd.WaitReplicaHoldsAsync(Site, applied: 8, realTimeRows: 4, version: 2);

        // the site stream is in order: once a later message is shown, everything before it has arrived or was not sent
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["10"], version: 3);
        await Rtd.PublishAsync(RealTimeTables.Agent, ["1001"], version: 3);
        await skillGroups.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Version == 3);
        await oneAgent.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "1001", r => r.Version == 3);

        Assert.Equal(["config:skillgroup:10", "config:skillgroup:11", "realtime:skillgroup:10", "realtime:skillgroup:11"], Names(skillGroups));
        Assert.Equal(["config:agent:1001", "realtime:agent:1001"], Names(oneAgent));
        Assert.Equal("Ana A", oneAgent.Find(SiteUpdate.ConfigKind, "agent", "1001")?.Value?.GetProperty("name").GetString());
        Assert.Equal((0, 1), (skillGroups.Gaps, skillGroups.Snapshots));
        Assert.Equal((0, 1), (oneAgent.Gaps, oneAgent.Snapshots));
    }

    private static string[] Names(ClientView view) => [.. view.Rows().Select(r => $"{r.Kind}:{r.Table}:{r.Key}")];
}
