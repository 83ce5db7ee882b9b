using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>
/// The admin API's trust boundary against the real central database: keys and roles (401/403), If-Match required on
/// existing rows (428 unless forced), text PostgreSQL cannot hold refused with 400, and an audit row per change.
/// </summary>
public sealed class When_callers_reach_the_admin_api : SystemTest
{
    private HttpClient _editor = null!;
    private HttpClient _reader = null!;
    private HttpClient _anonymous = null!;
    private HttpClient _wrongKey = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _editor = Rtd.NewCentralApi(Rtd.EditorKey);
        _reader = Rtd.NewCentralApi(Rtd.ReaderKey);
        _anonymous = Rtd.NewCentralApi(null);
        _wrongKey = Rtd.NewCentralApi("not-a-key-of-this-center");
        Assert.Equal(HttpStatusCode.OK, (await _editor.PutAsJsonAsync("/api/config/peripheral/1", new { name = "ACD", kind = "acd" })).StatusCode);
    }

    public override async Task DisposeAsync()
    {
        foreach (var http in new[] { _editor, _reader, _anonymous, _wrongKey })
        {
            http.Dispose();
        }
        await base.DisposeAsync();
    }

    private static Task<HttpResponseMessage> Put(HttpClient http, string path, object row) => http.PutAsJsonAsync(path, row);

    private static Task<HttpResponseMessage> Batch(HttpClient http, object changes, string query = "") =>
        http.PostAsJsonAsync($"/api/config/batch{query}", new { changes });

    [Fact]
    public async Task Should_refuse_reads_and_edits_without_a_valid_key_and_edits_by_a_reader()
    {
        var before = await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence");
        var skillGroup = new { name = "Sales", peripheralId = 1 };
        foreach (var http in new[] { _anonymous, _wrongKey })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/config/peripheral")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/audit")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Put(http, "/api/config/skillgroup/10", skillGroup)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync("/api/config/peripheral/1?force=true")).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await Batch(http, new[] { new { table = "skillgroup", id = 10, row = skillGroup } })).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await _reader.GetAsync("/api/config/peripheral")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _reader.GetAsync("/api/config/peripheral/1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _reader.GetAsync("/api/audit")).StatusCode);
        var forbidden = await Put(_reader, "/api/config/skillgroup/10", skillGroup);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("test-reader", await forbidden.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await _reader.DeleteAsync("/api/config/peripheral/1?force=true")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await Batch(_reader, new[] { new { table = "skillgroup", id = 10, row = skillGroup } })).StatusCode);

        Assert.Equal(before, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM skillgroup"));
        // counters stay open, for monitoring
        Assert.Equal(HttpStatusCode.OK, (await _anonymous.GetAsync("/api/sequence")).StatusCode);
    }

    [Fact]
    public async Task Should_require_the_version_read_to_change_or_delete_an_existing_row_unless_forced()
    {
        var unversioned = await Put(_editor, "/api/config/peripheral/1", new { name = "ACD renamed", kind = "acd" });
        Assert.Equal((HttpStatusCode)428, unversioned.StatusCode);
        Assert.Contains("If-Match", await unversioned.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode)428, (await _editor.DeleteAsync("/api/config/peripheral/1")).StatusCode);
        Assert.Equal((HttpStatusCode)428, (await Batch(_editor, new[] { new { table = "peripheral", id = 1, row = new { name = "ACD b", kind = "acd" } } })).StatusCode);
        Assert.Equal("ACD", (await _editor.GetFromJsonAsync<JsonElement>("/api/config/peripheral/1")).GetProperty("name").GetString());

        using var versioned = new HttpRequestMessage(HttpMethod.Put, "/api/config/peripheral/1") { Content = JsonContent.Create(new { name = "ACD 2", kind = "acd" }) };
        versioned.Headers.TryAddWithoutValidation("If-Match", "1");
        Assert.Equal(HttpStatusCode.OK, (await _editor.SendAsync(versioned)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Put(_editor, "/api/config/peripheral/1?force=true", new { name = "ACD 3", kind = "acd" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Batch(_editor, new[] { new { table = "peripheral", id = 1, row = new { name = "ACD 4", kind = "acd" }, version = 3L } })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _editor.DeleteAsync("/api/config/peripheral/1?force=true")).StatusCode);
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM peripheral"));
    }

    [Fact]
    public async Task Should_refuse_text_with_nul_or_an_unpaired_surrogate_with_400_naming_the_field()
    {
        var before = await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence");
        foreach (var name in new[] { "a\\u0000b", "a\\ud800b" })
        {
            using var content = new StringContent($$"""{"name":"{{name}}","peripheralId":1}""", Encoding.UTF8, "application/json");
            var response = await _editor.PutAsync("/api/config/skillgroup/10", content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("$.name", await response.Content.ReadAsStringAsync());
        }
        using var batch = new StringContent("""
            {"changes":[{"table":"skillgroup","id":11,"row":{"name":"fine","peripheralId":1}},
                        {"table":"skillgroup","id":12,"row":{"name":"x\u0000y","peripheralId":1}}]}
            """, Encoding.UTF8, "application/json");
        var refused = await _editor.PostAsync("/api/config/batch", batch);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        var item = Assert.Single(problem.GetProperty("refused").EnumerateArray());
        Assert.Equal(1, item.GetProperty("index").GetInt32());
        Assert.Equal(12, item.GetProperty("id").GetInt64());
        Assert.Contains("NUL", item.GetProperty("reason").GetString());

        Assert.Equal(before, await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"));
        Assert.Equal(0, await Rtd.CentralScalarAsync("SELECT count(*) FROM skillgroup"));
    }

    [Fact]
    public async Task Should_audit_every_change_with_who_what_and_from_where_in_its_own_transaction()
    {
        Assert.Equal(HttpStatusCode.OK, (await Put(_editor, "/api/config/skillgroup/10", new { name = "Sales", peripheralId = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Batch(_editor, new object[]
        {
            new { table = "skillgroup", id = 11, row = new { name = "Support", peripheralId = 1 } },
            new { table = "skillgroup", id = 10, op = "delete", version = 2L },
        })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Put(_editor, "/api/config/peripheral/1?force=true", new { name = "ACD 2", kind = "acd" })).StatusCode);
        // a refused edit leaves no audit row
        Assert.Equal(HttpStatusCode.Conflict, (await Batch(_editor, new[] { new { table = "peripheral", id = 1, op = "delete", version = 4L } })).StatusCode);

        var audit = await _reader.GetFromJsonAsync<JsonElement[]>("/api/audit");
        Assert.Equal(await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence"), audit!.Length);
        Assert.Equal(audit.Length, await Rtd.CentralScalarAsync("SELECT count(*) FROM config_change_log l JOIN admin_audit a USING (sequence)"));
        Assert.Equal([1L, 2, 3, 4, 5], audit.Select(a => a.GetProperty("sequence").GetInt64()));
        Assert.All(audit, a => Assert.Equal("test-editor", a.GetProperty("changedBy").GetString()));
        Assert.All(audit, a => Assert.Equal("127.0.0.1", a.GetProperty("changedFrom").GetString()));
        Assert.Equal(["peripheral/1/upsert", "skillgroup/10/upsert", "skillgroup/11/upsert", "skillgroup/10/delete", "peripheral/1/upsert"],
            audit.Select(a => $"{a.GetProperty("table").GetString()}/{a.GetProperty("key").GetString()}/{a.GetProperty("operation").GetString()}"));
        Assert.True(audit[4].GetProperty("forced").GetBoolean());
        Assert.False(audit[3].GetProperty("forced").GetBoolean());

        var skillGroups = await _reader.GetFromJsonAsync<JsonElement[]>($"/api/audit?table=skillgroup&since={Uri.EscapeDataString(audit[1].GetProperty("changedAt").GetString()!)}");
        Assert.Equal([2L, 3, 4], skillGroups!.Select(a => a.GetProperty("sequence").GetInt64()));
        Assert.Empty((await _reader.GetFromJsonAsync<JsonElement[]>($"/api/audit?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}"))!);
    }
}
