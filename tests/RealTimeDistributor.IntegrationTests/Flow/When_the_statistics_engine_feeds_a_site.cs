using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Flow;

/// <summary>The live statistics engine with its default (simulated) activity, through the real broker and replica to a client.</summary>
public sealed class When_the_statistics_engine_feeds_a_site : IAsyncLifetime
{
    private RtdSystem _system = null!;
    private string _site = "";
    private ClientView _view = null!;

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync(new Dictionary<string, string?>
        {
            ["RealTime:Simulate"] = "true",
            ["RealTime:Interval"] = "00:00:00.200",
            ["RealTime:CallsPerSecond"] = "20",
            ["RealTime:FullRefreshEvery"] = "10",
        });
        _site = _system.Site("a");
        await _system.StartDistributorAsync(_site);
        var client = await _system.StartClientAsync(_site, "ws1");
        _view = client.Services.GetRequiredService<ClientView>();
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    [Fact]
    public async Task Should_show_agent_skill_group_call_type_and_service_rows_computed_from_the_configuration()
    {
        await Put("peripheral", 1, new { name = "ACD 1", kind = "acd" });
        await Put("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        for (var agent = 100; agent < 105; agent++)
        {
            await Put("agent", agent, new { name = $"Agent {agent}", peripheralId = 1 });
            await Put("skillgroupmember", agent * 10, new { agentId = agent, skillGroupId = 10 });
        }
        await Put("calltype", 7, new { name = "Support", serviceLevelSeconds = 20 });
        await Put("service", 50, new { name = "Support ACD 1", peripheralId = 1 });

        // simulated agents log in within 30 s of being configured; calls arrive at 20 per second
        var group = await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10",
            r => r.Value?.GetProperty("agentsLoggedOn").GetInt32() > 0, TimeSpan.FromSeconds(60));
        Assert.InRange(group.Value!.Value.GetProperty("agentsLoggedOn").GetInt32(), 1, 5);
        await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7",
            r => r.Value?.GetProperty("callsOfferedToday").GetInt64() > 0, TimeSpan.FromSeconds(30));
        await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, "50",
            r => r.Value?.GetProperty("callsOfferedToday").GetInt64() > 0, TimeSpan.FromSeconds(30));
        await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "100", r => r.Value?.GetProperty("state").GetString() is not null);

        var tables = await Eventually.Until(
            () => _system.QueryReplicaAsync<long>(_site, "SELECT count(DISTINCT table_name) FROM realtime_row"),
            count => count == 4, "rows of all four real-time tables in the replica");
        Assert.Equal(4, tables);
        Assert.Equal(0, _view.Gaps);
    }

    private async Task Put(string table, long id, object row) =>
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync(table, id, row)).StatusCode);
}
