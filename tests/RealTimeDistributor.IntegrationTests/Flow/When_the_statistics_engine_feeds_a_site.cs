using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Flow;

/// <summary>The live statistics engine with its default (simulated) activity, through the real broker and replica to a client.</summary>
public sealed class When_the_statistics_engine_feeds_a_site : SystemTest
{
    protected override Dictionary<string, string?> CentralSettings => new()
    {
        ["RealTime:Simulate"] = "true",
        ["RealTime:Interval"] = "00:00:00.200",
        ["RealTime:CallsPerSecond"] = "20",
        ["RealTime:FullRefreshEvery"] = "10",
    };

    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    [Fact]
    public async Task Should_show_agent_skill_group_call_type_and_service_rows_computed_from_the_configuration()
    {
        await SeedSalesTeamAsync();
        await PutAsync("service", 50, new { name = "Support ACD 1", peripheralId = 1 });

        // simulated agents log in within 30 s of being configured; calls arrive at 20 per second
        var group = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10",
            r => r.Value?.GetProperty("agentsLoggedOn").GetInt32() > 0, TimeSpan.FromSeconds(60));
        Assert.InRange(group.Value!.Value.GetProperty("agentsLoggedOn").GetInt32(), 1, 5);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7",
            r => r.Value?.GetProperty("callsOfferedToday").GetInt64() > 0, TimeSpan.FromSeconds(30));
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, "50",
            r => r.Value?.GetProperty("callsOfferedToday").GetInt64() > 0, TimeSpan.FromSeconds(30));
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "100", r => r.Value?.GetProperty("state").GetString() is not null);

        var tables = await Eventually.Until(
            () => Rtd.QueryReplicaAsync<long>(Site, "SELECT count(DISTINCT table_name) FROM realtime_row"),
            count => count == 4, "rows of all four real-time tables in the replica");
        Assert.Equal(4, tables);
        Assert.Equal(0, View.Gaps);
    }
}
