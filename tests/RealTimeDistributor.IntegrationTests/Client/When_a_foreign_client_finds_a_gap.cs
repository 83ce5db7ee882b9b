using System.Text.Json;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// foreign_client.py after a gap: it has read the configuration name and the live value it waits for from the stream,
/// but no heartbeat since the live row, so it does not know its chain whole; then a heartbeat of the live table whose
/// chain head is above what it holds (a message of its chain never reached its queue) makes it load a new snapshot. That
/// snapshot already holds both values, and no message will come: it ends there (exit 1, as after any gap), its view the
/// snapshot's, instead of waiting for its timeout.
/// </summary>
public sealed class When_a_foreign_client_finds_a_gap : ForeignClientTest
{
    [Fact]
    public async Task Should_end_when_the_snapshot_after_the_gap_holds_what_it_waits_for()
    {
        using var python = await StartPythonAsync("py3", "10", "final", "10", "agentsReady", "5", "120");
        // the live value and the configuration name from the stream, and no heartbeat since the live row
        await PublishSkillGroupsAsync(version: 5, ready: 5, fullRefresh: false, "10");
        await python.LineAsync(l => Message(l, "realtime"), TimeSpan.FromSeconds(30), "it read the live row");
        await PutAsync("skillgroup", 10, new { name = "final", peripheralId = 1 });
        await python.LineAsync(l => Message(l, "config") && l.Contains("\"final\"", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "it read the configuration change");

        // a heartbeat as the distributor sends it, its chain head past the live row the client holds: one message was lost
        var epoch = Assert.Single(python.Prefixed("snapshot")).GetProperty("epoch").GetInt64();
        var head = await Rtd.SiteSequenceAsync(Site) + 1;
        await PublishOnSiteAsync(new HeartbeatUpdate(Site, RealTimeTables.SkillGroup, head, 2, DateTimeOffset.UtcNow) { Epoch = epoch });
        // longer than its own timeout (120 s): it ends because it holds what it waits for, or because that ran out
        var exit = await python.EndsAsync(TimeSpan.FromSeconds(150), async () => $"replica site sequence {await Rtd.SiteSequenceAsync(Site)}");

        var summary = python.Summary();
        Assert.True(summary.GetProperty("reached").GetBoolean(), $"it did not reach what it waits for: {summary}");
        var seen = summary.GetProperty("summary");
        Assert.Equal((1, 1, 2), (exit, seen.GetProperty("gaps").GetInt32(), seen.GetProperty("snapshots").GetInt32()));
        var snapshot = python.Prefixed("snapshot")[1];
        var live = Assert.Single(snapshot.GetProperty("rows").EnumerateArray(), r => r.GetProperty("kind").GetString() == "realtime");
        Assert.Equal(("10", 5L, 5), (live.GetProperty("key").GetString(), live.GetProperty("version").GetInt64(), live.GetProperty("value").GetProperty("agentsReady").GetInt32()));
        var view = summary.GetProperty("view");
        Assert.Equal("final", view.GetProperty("config").GetProperty("10").GetString());
        Assert.Equal(5, view.GetProperty("realtime").GetProperty("10").GetInt64());
        // nothing after the snapshot: the heartbeat was the last message it read
        Assert.Equal("heartbeat", python.Messages()[^1].GetProperty("kind").GetString());
    }

    private static bool Message(string line, string kind) =>
        line.StartsWith('{') && JsonDocument.Parse(line).RootElement.TryGetProperty("kind", out var k) && k.GetString() == kind;
}
