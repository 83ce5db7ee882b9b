namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// docs/wire-format.md is enough to write a workstation in another language: a Python (pika) client that wants
/// skillgroup.* binds it on the config exchange and the table on the real-time exchange (wire format 2), loads a
/// snapshot (which holds the skill group created before it started, and nothing of other tables), and then reads a
/// real-time row and a configuration change from the stream, and the heartbeat of the full refresh that brought the row
/// (its chain head the row's site sequence, so no gap), as the workstation's own broker user (it may declare its own
/// queues and check that the site's exchanges exist, nothing more). infra/client-tools-up.sh installs python3-pika.
/// </summary>
public sealed class When_a_foreign_client_reads_the_site_exchanges : ForeignClientTest
{
    [Fact]
    public async Task Should_read_a_real_time_row_and_a_configuration_change_from_python()
    {
        using var python = await StartPythonAsync("py1", "10", "Sales EMEA", "10", "agentsReady", "4", "30");

        await PutAsync("agent", 1001, new { name = "Ana", peripheralId = 1 });
        await PutAsync("skillgroup", 10, new { name = "Sales EMEA", peripheralId = 1 });
        await PublishSkillGroupsAsync(version: 7, ready: 4, fullRefresh: true, "10");
        await python.SucceedsAsync(TimeSpan.FromSeconds(45), async () => $"replica site sequence {await Rtd.SiteSequenceAsync(Site)}, "
            + $"central {await Rtd.CentralApi.GetStringAsync("/api/sequence")}");

        var snapshot = Assert.Single(python.Prefixed("snapshot"));
        Assert.InRange(snapshot.GetProperty("watermark").GetInt64(), 2, long.MaxValue);
        var snapshotRow = Assert.Single(snapshot.GetProperty("rows").EnumerateArray());
        Assert.Equal(("config", "skillgroup", "11", "Support"), (snapshotRow.GetProperty("kind").GetString(), snapshotRow.GetProperty("table").GetString(),
            snapshotRow.GetProperty("key").GetString(), snapshotRow.GetProperty("value").GetProperty("name").GetString()));
        var messages = python.Messages();
        var config = Assert.Single(messages, m => m.GetProperty("kind").GetString() == "config");
        Assert.Equal("skillgroup.10", config.GetProperty("routingKey").GetString());
        Assert.Equal("Sales EMEA", config.GetProperty("config").GetProperty("row").GetProperty("name").GetString());
        Assert.Equal($"{Site}-{config.GetProperty("siteSequence").GetInt64()}", config.GetProperty("messageId").GetString());
        var realTime = Assert.Single(messages, m => m.GetProperty("kind").GetString() == "realtime");
        Assert.Equal("skillgroup", realTime.GetProperty("routingKey").GetString());
        Assert.Equal($"{Site}-{realTime.GetProperty("siteSequence").GetInt64()}", realTime.GetProperty("messageId").GetString());
        var row = Assert.Single(realTime.GetProperty("rows").EnumerateArray());
        Assert.Equal(7, row.GetProperty("version").GetInt64());
        Assert.Equal(4, row.GetProperty("data").GetProperty("agentsReady").GetInt32());
        var heartbeat = Assert.Single(messages, m => m.GetProperty("kind").GetString() == "heartbeat");
        Assert.Equal(("skillgroup", realTime.GetProperty("siteSequence").GetInt64(), 1L),
            (heartbeat.GetProperty("routingKey").GetString(), heartbeat.GetProperty("chainHead").GetInt64(), heartbeat.GetProperty("rowCount").GetInt64()));
    }
}
