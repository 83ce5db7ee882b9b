using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Flow;

/// <summary>The walking skeleton: central controller, a site's distributor and a client, on the real broker and database.</summary>
public sealed class When_a_change_travels_from_the_center_to_a_client : SystemTest
{
    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    [Fact]
    public async Task Should_apply_a_configuration_change_to_the_replica_and_show_it_at_the_client()
    {
        await SeedSalesAsync();

        var replicaName = await Eventually.Until(
            () => Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM skillgroup WHERE id = 10"),
            name => name == "Sales", "skill group 10 in the replica");
        Assert.Equal("Sales", replicaName);
        var shown = await View.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "10", r => r.Value?.GetProperty("name").GetString() == "Sales");
        Assert.Equal(2, shown.Value!.Value.GetProperty("configSequence").GetInt64());

        // an edit that names the version it read travels the same way
        await PutAsync("skillgroup", 10, new { name = "Sales EMEA", peripheralId = 1 }, ifMatch: 2);
        await View.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "10", r => r.Value?.GetProperty("name").GetString() == "Sales EMEA");
        Assert.Equal(3L, await Rtd.AppliedSequenceAsync(Site));
        Assert.Equal("Sales EMEA", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM skillgroup WHERE id = 10"));
    }

    [Fact]
    public async Task Should_carry_reason_codes_and_teams_to_the_replica_and_the_client()
    {
        await SeedPeripheralAsync();
        await PutAsync("agent", 100, new { name = "Ana Lima", peripheralId = 1 });
        await PutAsync("agent", 101, new { name = "Ben Novak", peripheralId = 1 });
        await PutAsync("reasoncode", 2, new { peripheralId = 1, code = 2, text = "Lunch" });
        await PutAsync("team", 5, new { name = "Lisbon team 1", peripheralId = 1 });
        await PutAsync("teammember", 50, new { teamId = 5, agentId = 100 });
        await PutAsync("teamsupervisor", 60, new { teamId = 5, agentId = 101 });

        await View.WaitForAsync(SiteUpdate.ConfigKind, "teamsupervisor", "60", r => r.Value?.GetProperty("agentId").GetInt64() == 101);
        Assert.Equal("Lunch", View.Find(SiteUpdate.ConfigKind, "reasoncode", "2")!.Value!.Value.GetProperty("text").GetString());
        Assert.Equal(5, View.Find(SiteUpdate.ConfigKind, "teammember", "50")!.Value!.Value.GetProperty("teamId").GetInt64());
        Assert.Equal("Lunch", await Rtd.QueryReplicaAsync<string>(Site, "SELECT text FROM reasoncode WHERE peripheral_id = 1 AND code = 2"));
        Assert.Equal("Lisbon team 1", await Rtd.QueryReplicaAsync<string>(Site,
            "SELECT t.name FROM team t JOIN teammember m ON m.team_id = t.id JOIN teamsupervisor s ON s.team_id = t.id WHERE m.agent_id = 100 AND s.agent_id = 101"));

        // an agent is in one team at most; a reason code once per peripheral: refused in words, nothing sent
        await PutAsync("team", 6, new { name = "Lisbon team 2", peripheralId = 1 });
        var second = await Rtd.PutConfigAsync("teammember", 51, new { teamId = 6, agentId = 100 });
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, second.StatusCode);
        Assert.Contains("agent_id 100", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var twice = await Rtd.PutConfigAsync("reasoncode", 3, new { peripheralId = 1, code = 2, text = "Late lunch" });
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, twice.StatusCode);
        var blank = await Rtd.PutConfigAsync("reasoncode", 4, new { peripheralId = 1, code = 3, text = " " });
        Assert.Contains("text is required", await blank.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_apply_a_real_time_batch_to_the_replica_and_show_it_at_the_client()
    {
        var publisher = Rtd.Central.Services.GetRequiredService<RealTimePublisher>();
        var now = DateTimeOffset.UtcNow;

        await publisher.PublishAsync(RealTimeTables.SkillGroup, [Row("10", 5, now, callsQueued: 3)], fullRefresh: false, CancellationToken.None);

        var shown = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", _ => true);
        Assert.Equal(3, shown.Value!.Value.GetProperty("callsQueued").GetInt32());
        Assert.Equal(5L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT version FROM realtime_row WHERE table_name = 'skillgroup' AND key = '10'"));

        // an older value arriving late never overwrites a newer one; the next newer one does
        await publisher.PublishAsync(RealTimeTables.SkillGroup, [Row("10", 4, now, callsQueued: 99)], fullRefresh: false, CancellationToken.None);
        await publisher.PublishAsync(RealTimeTables.SkillGroup, [Row("10", 6, now, callsQueued: 7)], fullRefresh: false, CancellationToken.None);

        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Value?.GetProperty("callsQueued").GetInt32() == 7);
        Assert.Equal(6L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT version FROM realtime_row WHERE table_name = 'skillgroup' AND key = '10'"));
        var data = await Rtd.QueryReplicaAsync<string>(Site, "SELECT data::text FROM realtime_row WHERE table_name = 'skillgroup' AND key = '10'");
        Assert.Equal(7, JsonDocument.Parse(data!).RootElement.GetProperty("callsQueued").GetInt32());
        Assert.Equal(0, View.Gaps);
    }

    [Fact]
    public async Task Should_send_a_bad_real_time_message_to_the_error_queue_and_still_apply_the_messages_around_it()
    {
        var publisher = Rtd.Central.Services.GetRequiredService<RealTimePublisher>();
        var now = DateTimeOffset.UtcNow;

        // published back to back, so the distributor takes them together; the bad one must not take the others with it
        await publisher.PublishAsync(RealTimeTables.SkillGroup, [Row("20", 1, now, callsQueued: 20)], fullRefresh: false, CancellationToken.None);
        await publisher.PublishAsync(RealTimeTables.SkillGroup, [Row("bad", 0, now, callsQueued: 0)], fullRefresh: false, CancellationToken.None);
        await publisher.PublishAsync(RealTimeTables.CallType, [Row("21", 1, now, callsQueued: 21)], fullRefresh: false, CancellationToken.None);

        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "20", _ => true);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "21", _ => true);
        var error = await Rtd.ErrorMessageAsync(Topology.Central.DistributorRealTimeQueue(Site) + "_error");
        Assert.Contains("Row 'bad' version 0 is out of range", error.Headers["MT-Fault-Message"]);
        Assert.Equal(0L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM realtime_row WHERE key = 'bad'"));
    }

    private static RealTimeRow Row(string key, long version, DateTimeOffset at, int callsQueued) =>
        new(key, version, at, Json.ToElement(new { callsQueued }));
}
