using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>The admin API against the real central database: optimistic concurrency, validation, a gapless change log.</summary>
public sealed class When_operators_edit_the_configuration : SystemTest
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedSalesAsync();
    }

    [Fact]
    public async Task Should_refuse_a_stale_edit_with_409_and_the_current_version()
    {
        await PutAsync("skillgroup", 10, new { name = "Sales 2", peripheralId = 1 }, ifMatch: 2);

        var stale = await Rtd.PutConfigAsync("skillgroup", 10, new { name = "Sales from an old screen", peripheralId = 1 }, ifMatch: 2);

        Assert.Equal(HttpStatusCode.Conflict, stale.StatusCode);
        var problem = await stale.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(3, problem.GetProperty("currentVersion").GetInt64());
        var current = await Rtd.CentralApi.GetFromJsonAsync<JsonElement>("/api/config/skillgroup/10");
        Assert.Equal("Sales 2", current.GetProperty("name").GetString());
        Assert.Equal(3, await Rtd.CentralScalarAsync("SELECT count(*) FROM config_change_log"));
    }

    public static TheoryData<string, long, string, HttpStatusCode, string> BadEdits => new()
    {
        { "agent", 100, """{"name":"Ana","peripheralId":99}""", HttpStatusCode.UnprocessableEntity, "agent 100: peripheral_id 99 names no peripheral" },
        { "skillgroup", 11, """{"name":"Sales","peripheralId":1}""", HttpStatusCode.UnprocessableEntity, "Another skillgroup row already has name 'Sales'" },
        { "agent", 100, """{"name":"","peripheralId":1}""", HttpStatusCode.UnprocessableEntity, "name is required" },
        { "agent", 100, $$"""{"name":"{{new string('x', 101)}}","peripheralId":1}""", HttpStatusCode.UnprocessableEntity, "longer than 100" },
        { "peripheral", 2, """{"name":"PBX","kind":"pbx"}""", HttpStatusCode.UnprocessableEntity, "kind 'pbx'" },
        { "agent", 100, """{"name":"Ana","peripheralId":"one"}""", HttpStatusCode.UnprocessableEntity, "not a valid agent row" },
        { "nonsense", 1, """{"name":"x"}""", HttpStatusCode.NotFound, "Unknown table" },
        { "agent", 0, """{"name":"Ana","peripheralId":1}""", HttpStatusCode.UnprocessableEntity, "positive" },
    };

    [Theory]
    [MemberData(nameof(BadEdits))]
    public async Task Should_refuse_bad_input_with_a_reason_and_change_nothing(string table, long id, string body, HttpStatusCode status, string reason)
    {
        var before = await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence");

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        var response = await Rtd.CentralApi.PutAsync($"/api/config/{table}/{id}", content);

        Assert.Equal(status, response.StatusCode);
        Assert.Contains(reason, await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(before, await Rtd.CentralScalarAsync("SELECT count(*) FROM config_change_log"));
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent"));
    }

    [Fact]
    public async Task Should_refuse_to_delete_a_row_that_is_still_referenced()
    {
        var response = await Rtd.CentralApi.DeleteAsync("/api/config/peripheral/1");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("still referenced", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT count(*) FROM peripheral"));
    }

    [Fact]
    public async Task Should_keep_the_change_log_gapless_without_duplicates_and_in_commit_order_under_concurrent_edits()
    {
        const int clients = 8, editsPerClient = 25;
        // a replica follows the edits as they commit: a sequence visible before a lower one would be published past
        // the lower one, and the replica would stop at the gap
        var site = Rtd.Site("order");
        await Rtd.StartDistributorAsync(site);
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            using var http = Rtd.NewCentralApi(Rtd.EditorKey, force: true);
            for (var i = 0; i < editsPerClient; i++)
            {
                var id = 1000 + client * editsPerClient + i;
                var response = await http.PutAsJsonAsync($"/api/config/agent/{id}", new { name = $"Agent {id}", peripheralId = 1 });
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                }
                // and every client keeps editing the same row too, to contend on it
                await http.PutAsJsonAsync("/api/config/skillgroup/10", new { name = $"Sales {client}", peripheralId = 1 });
            }
        })));

        Assert.Equal(0, failures);
        var total = await Rtd.CentralScalarAsync("SELECT count(*) FROM config_change_log");
        Assert.Equal(2 + clients * editsPerClient * 2, total);
        Assert.Equal(total, await Rtd.CentralScalarAsync("SELECT count(DISTINCT sequence) FROM config_change_log"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("SELECT min(sequence) FROM config_change_log"));
        Assert.Equal(total, await Rtd.CentralScalarAsync("SELECT max(sequence) FROM config_change_log"));
        Assert.Equal(total, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(clients * editsPerClient, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent"));
        // the contended row carries the sequence and the content of its last logged change
        Assert.Equal(await Rtd.CentralScalarAsync("SELECT max(sequence) FROM config_change_log WHERE \"table\" = 'skillgroup' AND key = '10'"),
            await Rtd.CentralScalarAsync("SELECT config_sequence FROM skillgroup WHERE id = 10"));
        Assert.Equal(1, await Rtd.CentralScalarAsync("""
            SELECT count(*) FROM skillgroup s JOIN config_change_log l ON l.sequence = s.config_sequence
            WHERE s.id = 10 AND l.row_json->>'name' = s.name AND (l.row_json->>'configSequence')::bigint = s.config_sequence
            """));
        await Rtd.WaitAppliedAsync(site, total);
        Assert.Equal(clients * editsPerClient, await Rtd.QueryReplicaAsync<long>(site, "SELECT count(*) FROM agent"));
        var central = await Rtd.CentralApi.GetFromJsonAsync<JsonElement>("/api/config/skillgroup/10");
        Assert.Equal(central.GetProperty("name").GetString(), await Rtd.QueryReplicaAsync<string>(site, "SELECT name FROM skillgroup WHERE id = 10"));
    }
}
