using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>POST /api/config/batch against the real central database and a real site: all or nothing, one sequence per change, in order.</summary>
public sealed class When_operators_send_a_configuration_batch : SystemTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedPeripheralAsync();
        await PutAsync("agent", 50, new { name = "Old agent", peripheralId = 1 });
    }

    private Task<HttpResponseMessage> PostAsync(object[] changes, bool dryRun = false) =>
        Rtd.CentralApi.PostAsJsonAsync($"/api/config/batch{(dryRun ? "?dryRun=true" : "")}", new { changes });

    private static object[] Center(int agents) =>
    [
        new { table = "skillgroup", id = 10, row = new { name = "Sales", peripheralId = 1 } },
        .. Enumerable.Range(1, agents).Select(i => (object)new { table = "agent", id = 100 + i, op = "upsert", row = new { name = $"Agent {i}", peripheralId = 1 } }),
        .. Enumerable.Range(1, agents).Select(i => (object)new { table = "skillgroupmember", id = 1000 + i, row = new { agentId = 100 + i, skillGroupId = 10 } }),
        new { table = "agent", id = 50, op = "delete" },
        new { table = "skillgroup", id = 10, row = new { name = "Sales EMEA", peripheralId = 1 } },
    ];

    [Fact]
    public async Task Should_commit_every_change_with_its_own_sequence_in_the_order_given_and_a_replica_receives_them_all()
    {
        var site = Rtd.Site("a");
        await Rtd.StartDistributorAsync(site);
        var changes = Center(agents: 200);

        var response = await PostAsync(changes);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, body.GetProperty("firstSequence").GetInt64());
        var last = 2 + changes.Length;
        Assert.Equal(last, body.GetProperty("lastSequence").GetInt64());
        Assert.Equal(last, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(last, await Rtd.CentralScalarAsync("SELECT count(DISTINCT sequence) FROM config_change_log"));
        // the log is in the order given: the first change of the batch is sequence 3, the 201st agent ... the last is the rename
        Assert.Equal(3, await Rtd.CentralScalarAsync("SELECT sequence FROM config_change_log WHERE \"table\" = 'skillgroup' AND row_json->>'name' = 'Sales'"));
        Assert.Equal(4, await Rtd.CentralScalarAsync("SELECT sequence FROM config_change_log WHERE \"table\" = 'agent' AND key = '101'"));
        Assert.Equal(last - 1, await Rtd.CentralScalarAsync("SELECT sequence FROM config_change_log WHERE \"table\" = 'agent' AND operation = 'delete'"));
        Assert.Equal(last, await Rtd.CentralScalarAsync("SELECT config_sequence FROM skillgroup WHERE id = 10"));
        Assert.Equal(last, await Rtd.CentralScalarAsync("SELECT (row_json->>'configSequence')::bigint FROM config_change_log WHERE sequence = " + last));
        Assert.Equal(4, await Rtd.CentralScalarAsync("SELECT config_sequence FROM agent WHERE id = 101"));

        await Rtd.WaitAppliedAsync(site, last);
        Assert.Equal(200L, await Rtd.QueryReplicaAsync<long>(site, "SELECT count(*) FROM agent"));
        Assert.Equal(200L, await Rtd.QueryReplicaAsync<long>(site, "SELECT count(*) FROM skillgroupmember"));
        Assert.Equal("Sales EMEA", await Rtd.QueryReplicaAsync<string>(site, "SELECT name FROM skillgroup WHERE id = 10"));
    }

    [Fact]
    public async Task Should_refuse_the_whole_batch_naming_each_refused_change_by_its_index()
    {
        var changes = new object[]
        {
            new { table = "agent", id = 101, row = new { name = "Ana", peripheralId = 1 } },
            new { table = "agent", id = 102, row = new { name = "Ben", peripheralId = 99 } },
            new { table = "agent", id = 103, row = new { name = "", peripheralId = 1 } },
            new { table = "agent", id = 104, row = new { name = "Ana", peripheralId = 1 } },
            new { table = "agent", id = 777, op = "delete" },
            new { table = "nonsense", id = 1, row = new { name = "x" } },
            new { table = "agent", id = 105, row = new { name = "Eve", peripheralId = 1 } },
        };

        var response = await PostAsync(changes);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var refused = problem.GetProperty("refused").EnumerateArray().ToDictionary(r => r.GetProperty("index").GetInt32(), r => r.GetProperty("reason").GetString()!);
        Assert.Equal([1, 2, 3, 4, 5], refused.Keys.Order());
        Assert.Contains("agent 102: peripheral_id 99 names no peripheral", refused[1]);
        Assert.Contains("name is required", refused[2]);
        Assert.Contains("Another agent row already has name 'Ana'", refused[3]);
        Assert.Contains("agent 777 does not exist", refused[4]);
        Assert.Contains("Unknown table", refused[5]);
        Assert.Equal(2, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(2, await Rtd.CentralScalarAsync("SELECT count(*) FROM config_change_log"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent"));
    }

    [Fact]
    public async Task Should_refuse_a_stale_version_with_409_and_write_nothing()
    {
        var response = await PostAsync(
        [
            new { table = "agent", id = 101, row = new { name = "Ana", peripheralId = 1 } },
            new { table = "agent", id = 50, row = new { name = "Renamed", peripheralId = 1 }, version = 1 },
        ]);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var refused = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refused").EnumerateArray().Single();
        Assert.Equal(1, refused.GetProperty("index").GetInt32());
        Assert.Contains("at version 2, not 1", refused.GetProperty("reason").GetString());
        Assert.Equal(2, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent WHERE id = 101"));
    }

    [Fact]
    public async Task Should_validate_a_dry_run_and_write_nothing()
    {
        var response = await PostAsync(Center(agents: 20), dryRun: true);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dryRun").GetBoolean());
        Assert.Equal(2, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent"));
    }
}
