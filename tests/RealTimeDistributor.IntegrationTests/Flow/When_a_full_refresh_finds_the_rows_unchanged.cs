using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Flow;

/// <summary>
/// Only changes on the site stream: a full refresh from the center whose rows the replica holds at their versions
/// publishes no row message, only one heartbeat per table (its chain head the table's last site sequence), while a changed
/// row still goes out; and a client that lost the last messages of a quiet table (its queue purged) notices at the next
/// heartbeat and reloads.
/// </summary>
public sealed class When_a_full_refresh_finds_the_rows_unchanged : SystemTest
{
    protected override bool StartsDistributor => true;

    // one row per site message, so a stalled client's prefetch (500 messages) fills and the rest wait in its queue
    protected override Dictionary<string, string?> DistributorSettings => new() { ["Distributor:RealTimeRowsPerMessage"] = "1" };

    private RealTimePublisher Publisher => Rtd.Central.Services.GetRequiredService<RealTimePublisher>();

    private static RealTimeRow[] Rows(params (string Key, long Version)[] rows) =>
        [.. rows.Select(r => new RealTimeRow(r.Key, r.Version, DateTimeOffset.UtcNow, Json.ToElement(new { n = r.Version })))];

    [Fact]
    public async Task Should_publish_only_the_changed_rows_and_a_heartbeat()
    {
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["10", "11", "12"], version: 1);
        await Eventually.Until(() => Rtd.ReplicaRowCountAsync(Site, RealTimeTables.SkillGroup), n => n == 3, "three rows in the replica");
        await using var site = await SiteListener.StartAsync(Site);
        var stats = Distributor.Services.GetRequiredService<DistributorStats>();

        await Publisher.PublishAsync(RealTimeTables.SkillGroup, Rows(("10", 1), ("11", 1), ("12", 2)), fullRefresh: true, CancellationToken.None);

        var changed = await site.NextAsync();
        Assert.Equal((SiteUpdate.RealTimeKind, "12", 2L), (changed.GetProperty("kind").GetString(), Single(changed).Key, Single(changed).Version));
        var heartbeat = await site.NextAsync();
        Assert.Equal((SiteUpdate.HeartbeatKind, RealTimeTables.SkillGroup, 0L), (heartbeat.GetProperty("kind").GetString(),
            heartbeat.GetProperty("table").GetString(), heartbeat.GetProperty("siteSequence").GetInt64()));
        Assert.Equal(changed.GetProperty("siteSequence").GetInt64(), heartbeat.GetProperty("chainHead").GetInt64());
        Assert.Equal(3, heartbeat.GetProperty("rowCount").GetInt64());
        Assert.Equal(changed.GetProperty("epoch").GetInt64(), heartbeat.GetProperty("epoch").GetInt64());

        // every row unchanged: nothing but the heartbeat, at the same chain head
        await Publisher.PublishAsync(RealTimeTables.SkillGroup, Rows(("10", 1), ("11", 1), ("12", 2)), fullRefresh: true, CancellationToken.None);
        var quiet = await site.NextAsync();
        Assert.Equal((SiteUpdate.HeartbeatKind, heartbeat.GetProperty("chainHead").GetInt64()),
            (quiet.GetProperty("kind").GetString(), quiet.GetProperty("chainHead").GetInt64()));
        Assert.Equal(2 + 3, stats.RealTimeRowsUnchanged);
        Assert.Equal(0, stats.RealTimeRowsStale);

        // a change between full refreshes still goes out, linked to the chain head the heartbeats told
        await Publisher.PublishAsync(RealTimeTables.SkillGroup, Rows(("11", 3)), fullRefresh: false, CancellationToken.None);
        var next = await site.NextAsync();
        Assert.Equal(("11", 3L), (Single(next).Key, Single(next).Version));
        Assert.Equal(quiet.GetProperty("chainHead").GetInt64(), next.GetProperty("previousSiteSequence").GetInt64());

        // site sequences committed but never published (what a commit whose answer was lost leaves): the next heartbeat
        // links past them, so a client that holds less reloads the rows from the replica
        var committed = await Rtd.QueryReplicaAsync<long>(Site, "UPDATE sync_state SET site_sequence = site_sequence + 3 RETURNING site_sequence");
        await Publisher.PublishAsync(RealTimeTables.SkillGroup, Rows(("10", 1), ("11", 3), ("12", 2)), fullRefresh: true, CancellationToken.None);
        var past = await site.NextAsync();
        Assert.Equal((SiteUpdate.HeartbeatKind, committed), (past.GetProperty("kind").GetString(), past.GetProperty("chainHead").GetInt64()));
    }

    [Fact]
    public async Task Should_reload_a_client_that_lost_the_last_messages_of_a_quiet_table_at_the_next_heartbeat()
    {
        var client = await Rtd.StartClientAsync(Site, "quiet");
        var view = client.Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1);
        var stats = Distributor.Services.GetRequiredService<DistributorStats>();

        // stall the client's consumer on its first row
        var release = await view.StallOnAsync("stall", () => Rtd.PublishAsync(RealTimeTables.SkillGroup, ["stall"], version: 1));

        // 520 more rows in 520 messages: the consumer's prefetch takes about 500, the last ones wait in the queue
        var published = stats.SitePublished;
        var keys = Enumerable.Range(0, 520).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, keys, version: 1);
        await Eventually.Until(() => Task.FromResult(stats.SitePublished), n => n >= published + keys.Count, "the site to confirm the 520 messages");
        var vhost = Topology.Site.VirtualHost(Site);
        var queue = Topology.Site.ClientQueue(Site, "quiet");
        var lost = await QueueReader.ReadyAsync(vhost, queue);
        Assert.InRange(lost, 1u, (uint)keys.Count);
        await Rtd.Broker.PurgeAsync(vhost, queue);

        release();
        // the prefetched messages apply in their chain; after them the table is quiet and the view misses the last rows
        await Eventually.Until(() => Task.FromResult(view.Versions(RealTimeTables.SkillGroup).Count), n => n == keys.Count + 1 - lost,
            "the view to apply what its consumer had prefetched");
        Assert.Equal((1L, 0L), (view.Snapshots, view.Gaps));

        // a full refresh of unchanged rows: no row message, a heartbeat whose chain head the view does not hold
        await Publisher.PublishAsync(RealTimeTables.SkillGroup, Rows([.. keys.Append("stall").Select(k => (k, 1L))]), fullRefresh: true, CancellationToken.None);
        await view.WaitForSnapshotsAsync(2);

        Assert.True(view.Gaps >= 1);
        var replica = await Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup);
        Assert.Equal(keys.Count + 1, replica.Count);
        Assert.Equal(replica, view.Versions(RealTimeTables.SkillGroup));
    }

    private static (string Key, long Version) Single(JsonElement update)
    {
        var row = Assert.Single(update.GetProperty("rows").EnumerateArray());
        return (row.GetProperty("key").GetString()!, row.GetProperty("version").GetInt64());
    }

    /// <summary>A queue of the test's own bound to the site's real-time exchange (every table), read in order.</summary>
    private sealed class SiteListener : IAsyncDisposable
    {
        private readonly Channel<JsonElement> _received = Channel.CreateBounded<JsonElement>(1_000);
        private IConnection _connection = null!;

        public static async Task<SiteListener> StartAsync(string site)
        {
            var listener = new SiteListener { _connection = await TestSettings.RabbitConnection(Topology.Site.VirtualHost(site)).CreateConnectionAsync() };
            var channel = await listener._connection.CreateChannelAsync();
            var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
            await channel.QueueBindAsync(queue, Topology.Site.RealTimeExchange(site), Topology.AllKeys);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
                await listener._received.Writer.WriteAsync(JsonDocument.Parse(delivery.Body).RootElement.Clone());
            await channel.BasicConsumeAsync(queue, autoAck: true, consumer);
            return listener;
        }

        /// <summary>The next message on the exchange (a site status aside).</summary>
        public async Task<JsonElement> NextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (true)
            {
                var message = await _received.Reader.ReadAsync(timeout.Token);
                if (message.GetProperty("kind").GetString() != SiteUpdate.StatusKind)
                {
                    return message;
                }
            }
        }

        public async ValueTask DisposeAsync() => await _connection.DisposeAsync();
    }
}
