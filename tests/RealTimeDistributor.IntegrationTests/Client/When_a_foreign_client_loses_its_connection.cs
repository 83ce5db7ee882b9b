using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// docs/wire-format.md's reconnect, in the Python workstation: the broker closes its connection three times (the management
/// API's close, as an operator or a broker restart would) while configuration changes and live rows keep coming; it
/// connects again with its jittered wait, consumes its durable queue on from where it was, and ends holding what the
/// site's replica holds, with one snapshot (the first), no gap. The shared broker is not restarted: only the client's
/// own connection is closed.
/// </summary>
public sealed class When_a_foreign_client_loses_its_connection : ForeignClientTest
{
    private const int Changes = 30;
    private const long FinalVersion = 1000;

    [Fact]
    public async Task Should_reconnect_and_resume_its_queue_without_a_gap_or_a_snapshot()
    {
        using var python = await StartPythonAsync("py2", "10", "final", "10", "agentsReady", $"{FinalVersion}", "120");
        using var management = Management();

        var closed = new List<string>();
        for (var i = 1; i <= Changes; i++)
        {
            if (i % 10 == 0)
            {
                // once the client is back from the last close (its "reconnected" line), close it again, with changes in its queue
                await python.LineAsync(l => l.StartsWith("reconnected ", StringComparison.Ordinal), TimeSpan.FromSeconds(30), $"it reconnected {closed.Count} times",
                    closed.Count);
                closed.Add(await CloseAsync(management, ForeignClient.ConnectionName(Site, "py2"), closed));
            }
            await PutAsync("skillgroup", 10, new { name = $"v{i}", peripheralId = 1 });
            await PublishSkillGroupsAsync(version: i, ready: i, fullRefresh: false, "10", "11");
        }
        await PutAsync("skillgroup", 10, new { name = "final", peripheralId = 1 });
        await PublishSkillGroupsAsync(FinalVersion, (int)FinalVersion, fullRefresh: true, "10", "11");
        await python.SucceedsAsync(TimeSpan.FromSeconds(90), async () => $"replica site sequence {await Rtd.SiteSequenceAsync(Site)}");

        var summary = python.Summary();
        var seen = summary.GetProperty("summary");
        Assert.Equal((1, 0, closed.Count), (seen.GetProperty("snapshots").GetInt32(), seen.GetProperty("gaps").GetInt32(), seen.GetProperty("reconnects").GetInt32()));
        Assert.Single(python.Prefixed("snapshot"));
        Assert.Equal(closed.Count, python.Lines.Count(l => l.StartsWith("{\"lost\"", StringComparison.Ordinal) && l.Contains("ConnectionClosedByBroker", StringComparison.Ordinal)));
        // it ends holding what the site holds: every skill group's name, and every live row's version
        var view = summary.GetProperty("view");
        Assert.Equal(await ReplicaAsync("SELECT id::text, name FROM skillgroup"), Flat(view.GetProperty("config")));
        Assert.Equal(await ReplicaAsync("SELECT key, version::text FROM realtime_row WHERE table_name = 'skillgroup'"), Flat(view.GetProperty("realtime")));
        Assert.Equal("10=final,11=Support", Flat(view.GetProperty("config")));
        Assert.Equal($"10={FinalVersion},11={FinalVersion}", Flat(view.GetProperty("realtime")));
        // and it read the changes made while it was away: the live messages of the chain once each, in order, none missing
        var realTime = python.Messages().Where(m => m.GetProperty("kind").GetString() == "realtime").ToList();
        Assert.InRange(realTime.Count, 2, Changes + 1);
        Assert.Equal(realTime.Skip(1).Select(m => m.GetProperty("previousSiteSequence").GetInt64()),
            realTime.SkipLast(1).Select(m => m.GetProperty("siteSequence").GetInt64()));
    }

    private static string Flat(JsonElement keys) =>
        string.Join(',', keys.EnumerateObject().Select(p => $"{p.Name}={(p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())}").Order(StringComparer.Ordinal));

    private async Task<string> ReplicaAsync(string sql) =>
        string.Join(',', (await SiteStack.RowsAsync(TestSettings.ConnectionString(Rtd.ReplicaDatabase(Site)), sql)).Select(r => r.Replace('|', '=')).Order(StringComparer.Ordinal));

    private static HttpClient Management()
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/api/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitAdminUser}:{TestSettings.RabbitAdminPassword}")));
        return http;
    }

    /// <summary>
    /// Closes the connection named <paramref name="connectionName"/> from the broker, one not <paramref name="closed"/> before
    /// (the management API lists a new one, and drops a closed one, a little late); returns the broker's name of it.
    /// </summary>
    private static async Task<string> CloseAsync(HttpClient management, string connectionName, List<string> closed)
    {
        var name = await Eventually.Until(async () =>
        {
            var connections = await management.GetFromJsonAsync<JsonElement>("connections?columns=name,client_properties.connection_name,state");
            return connections.EnumerateArray()
                .Where(c => c.TryGetProperty("client_properties", out var p) && p.TryGetProperty("connection_name", out var n) && n.GetString() == connectionName)
                .Select(c => c.GetProperty("name").GetString()).FirstOrDefault(n => !closed.Contains(n!));
        }, n => n is not null, $"the broker lists the connection {connectionName}");
        using var close = new HttpRequestMessage(HttpMethod.Delete, $"connections/{Uri.EscapeDataString(name!)}");
        close.Headers.Add("X-Reason", "test: the broker closes the workstation's connection");
        (await management.SendAsync(close)).EnsureSuccessStatusCode();
        return name!;
    }
}
