using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>
/// The admin API against the real central database speaks its own words: a missing reference, a row still referenced,
/// a duplicate name and a duplicate membership name the row and the field (never a database constraint); a missing key
/// and a key the center does not know get different 401s; rows created without an id get the center's next free id
/// (POST /api/config/{table}, a batch); and `rtd config list` shows each row's version.
/// </summary>
public sealed class When_an_edit_is_refused_in_the_apis_words : SystemTest
{
    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

    private static void NoConstraintName(string detail)
    {
        Assert.DoesNotContain("FK_", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("IX_", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("PK_", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_name_the_row_and_the_field_never_a_constraint()
    {
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("skillgroup", 3, new { name = "Sales", peripheralId = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("agent", 7, new { name = "Ann", peripheralId = 1 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("skillgroupmember", 1, new { agentId = 7, skillGroupId = 3 })).StatusCode);

        var missing = await Rtd.PutConfigAsync("skillgroup", 4, new { name = "Support", peripheralId = 99 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing.StatusCode);
        var detail = await DetailAsync(missing);
        NoConstraintName(detail);
        Assert.Contains("skillgroup 4: peripheral_id 99 names no peripheral", detail, StringComparison.Ordinal);

        var referenced = await Rtd.CentralApi.DeleteAsync("/api/config/skillgroup/3");
        Assert.Equal(HttpStatusCode.Conflict, referenced.StatusCode);
        detail = await DetailAsync(referenced);
        NoConstraintName(detail);
        Assert.Contains("skillgroup 3 is still referenced by skillgroupmember rows (their skill_group_id)", detail, StringComparison.Ordinal);

        var sameName = await Rtd.PutConfigAsync("skillgroup", 5, new { name = "Sales", peripheralId = 1 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sameName.StatusCode);
        detail = await DetailAsync(sameName);
        NoConstraintName(detail);
        Assert.Contains("Another skillgroup row already has name 'Sales'", detail, StringComparison.Ordinal);

        var sameMembership = await Rtd.PutConfigAsync("skillgroupmember", 2, new { agentId = 7, skillGroupId = 3 });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sameMembership.StatusCode);
        detail = await DetailAsync(sameMembership);
        NoConstraintName(detail);
        Assert.Contains("Agent 7 is already a member of skill group 3", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_tell_a_missing_key_from_one_not_accepted()
    {
        using var anonymous = Rtd.NewCentralApi(null);
        using var wrongKey = Rtd.NewCentralApi("not-a-key-of-this-center");
        var none = await anonymous.GetAsync("/api/config/agent");
        var wrong = await wrongKey.GetAsync("/api/config/agent");
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.StartsWith("No API key given", await DetailAsync(none), StringComparison.Ordinal);
        Assert.StartsWith("API key not accepted", await DetailAsync(wrong), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_give_rows_without_an_id_the_next_free_one_and_list_their_versions()
    {
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("agent", 40, new { name = "Ann", peripheralId = 1 })).StatusCode);

        var created = await Rtd.CentralApi.PostAsJsonAsync("/api/config/agent", new { name = "Bob", peripheralId = 1 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/config/agent/41", created.Headers.Location?.OriginalString);
        var answer = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(41, answer.GetProperty("row").GetProperty("id").GetInt64());

        var batch = await Rtd.CentralApi.PostAsJsonAsync("/api/config/batch", new
        {
            changes = new object[]
            {
                new { table = "agent", row = new { name = "Cy", peripheralId = 1 } },
                new { table = "agent", id = 50, row = new { name = "Di", peripheralId = 1 } },
                new { table = "agent", row = new { name = "Ed", peripheralId = 1 } },
            },
        });
        Assert.Equal(HttpStatusCode.OK, batch.StatusCode);
        var ids = (await batch.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
        Assert.Equal([51L, 50L, 52L], ids);
        Assert.Equal(5, await Rtd.CentralScalarAsync("SELECT count(*) FROM agent"));

        var list = await CommandRuns.RunAsync("rtd", ["config", "list", "agent", "--central", Rtd.CentralApi.BaseAddress!.ToString()],
            new Dictionary<string, string> { ["RTD_ADMIN_KEY"] = Rtd.EditorKey });
        Assert.Equal(0, list.Code);
        var bob = list.Output.Split('\n').Single(l => l.Contains("Bob", StringComparison.Ordinal));
        Assert.Equal(["41", answer.GetProperty("version").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture), "Bob"],
            bob.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(3));
    }
}
