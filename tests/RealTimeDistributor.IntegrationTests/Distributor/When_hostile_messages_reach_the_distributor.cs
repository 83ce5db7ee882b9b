using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// One bad message never stalls a site: each hostile message ends in an error queue once, with its reason, and the good
/// messages around it apply at once, with no resync; a duplicate goes out as the replica has it on record; dead pooled
/// connections are retried.
/// </summary>
public sealed class When_hostile_messages_reach_the_distributor : SystemTest
{
    protected override bool StartsDistributor => true;

    private string ConfigQueue => Topology.Central.DistributorConfigQueue(Site);

    private static ConfigChanged Agent(long sequence, string name) =>
        new(sequence, sequence - 1, "agent", ConfigOperations.Upsert, "101", Json.ToElement(new { id = 101, name, peripheralId = 1, configSequence = sequence }),
            DateTimeOffset.UtcNow);

    private static RealTimeRow Row(string key, long version, DateTimeOffset updatedAt, string data = """{"n":1}""") =>
        new(key, version, updatedAt, JsonDocument.Parse(data).RootElement.Clone());

    private async Task<IReadOnlyList<string>> RefusalsAsync(string errorQueue, int count)
    {
        await Eventually.Until(() => QueueReader.ReadyAsync(Rtd.CentralVirtualHost, errorQueue), n => n >= count, $"{count} messages in {errorQueue}");
        var messages = await QueueReader.PeekAllAsync(Rtd.CentralVirtualHost, errorQueue, count + 1, TimeSpan.FromSeconds(2));
        return [.. messages.Select(m => m.Headers["MT-Fault-Message"])];
    }

    [Fact]
    public async Task Should_refuse_each_hostile_config_change_once_with_its_reason_while_the_next_edit_applies_without_a_resync()
    {
        await SeedPeripheralAsync(); // 1
        await Rtd.WaitAppliedAsync(Site, 1);

        await Rtd.PublishToCentralConfigAsync(Agent(100_001, "Far ahead"), Agent(long.MaxValue, "Last there is"), Agent(2, "a\0b"));
        await PublishRawToCentralConfigAsync(Json.Serialize(Agent(2, "Not JSON, it says")), "text/plain; ]bad[");
        await PutAsync("agent", 101, new { name = "Valid", peripheralId = 1 }); // 2

        await Rtd.WaitAppliedAsync(Site, 2);
        Assert.Equal("Valid", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
        // every message is settled: none waits unacked for a gap to fill
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, ConfigQueue))?.Messages ?? -1, m => m == 0,
            "the config queue to be empty");
        var reasons = await RefusalsAsync(Topology.ErrorQueue(ConfigQueue), 4);
        Assert.Equal(4, reasons.Count);
        Assert.Single(reasons, r => r.Contains("Change 100001 is beyond the center's last committed sequence", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.Contains($"Change {long.MaxValue} is beyond the center's last committed sequence", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.Contains("row.name contains a NUL character", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.Contains("not application/json", StringComparison.Ordinal));
        Assert.Equal(0, (await Rtd.StatsAsync(Distributor)).GetProperty("resyncs").GetInt64());

        await PutAsync("agent", 101, new { name = "Still following", peripheralId = 1 }, ifMatch: 2); // 3
        await Rtd.WaitAppliedAsync(Site, 3);
        Assert.Equal(0, (await Rtd.StatsAsync(Distributor)).GetProperty("resyncs").GetInt64());
    }

    [Fact]
    public async Task Should_refuse_a_real_time_row_that_cannot_be_stored_or_comes_from_the_future_alone_and_apply_the_rows_around_it()
    {
        var publisher = Rtd.Central.Services.GetRequiredService<RealTimePublisher>();
        var now = DateTimeOffset.UtcNow;
        async Task PublishAsync(RealTimeRow row) => await publisher.PublishAsync(RealTimeTables.SkillGroup, [row], fullRefresh: false, CancellationToken.None);

        await PublishAsync(Row("before", now.UtcTicks, now));
        await PublishAsync(Row("nul\0key", now.UtcTicks, now));
        await PublishAsync(Row("overflow", now.UtcTicks, now, """{"n":1e1000000}""")); // valid JSON; PostgreSQL's numeric cannot hold it
        await PublishAsync(Row("future", long.MaxValue, now));
        await PublishAsync(Row("frozen", now.UtcTicks, new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero)));
        await PublishAsync(Row("after", now.UtcTicks, now));

        var versions = await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup),
            v => v.ContainsKey("before") && v.ContainsKey("after"), "the rows around the bad ones");
        Assert.Equal(["after", "before"], versions.Keys.Order());
        var reasons = await RefusalsAsync(Topology.ErrorQueue(Topology.Central.DistributorRealTimeQueue(Site)), 4);
        Assert.Equal(4, reasons.Count);
        Assert.Single(reasons, r => r.Contains("key contains a NUL character", StringComparison.Ordinal));
        Assert.Single(reasons, r => r.Contains("Row 'overflow': data.n is a number PostgreSQL cannot hold (1e1000000): it has 1,000,001 digits before the "
            + "decimal point, more than 131,072", StringComparison.Ordinal));
        Assert.Equal(2, reasons.Count(r => r.Contains("ahead of this host's clock", StringComparison.Ordinal)));

        // nothing froze: the genuine rows of those keys apply
        var later = DateTimeOffset.UtcNow;
        await publisher.PublishAsync(RealTimeTables.SkillGroup, [Row("future", later.UtcTicks, later), Row("frozen", later.UtcTicks, later)], false,
            CancellationToken.None);
        await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup),
            v => v.GetValueOrDefault("future") == later.UtcTicks && v.GetValueOrDefault("frozen") == later.UtcTicks, "the genuine rows");
    }

    [Fact]
    public async Task Should_republish_a_forged_duplicate_with_the_content_of_record()
    {
        await SeedPeripheralAsync(); // 1
        await PutAsync("agent", 101, new { name = "Of record", peripheralId = 1 }); // 2
        await Rtd.WaitAppliedAsync(Site, 2);
        var original = await Rtd.QueryReplicaAsync<long>(Site, "SELECT site_sequence FROM config_apply_log WHERE central_sequence = 2");
        await using var site = await TestSettings.RabbitConnection(Topology.Site.VirtualHost(Site)).CreateConnectionAsync();
        await using var channel = await site.CreateChannelAsync();
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(queue, Topology.Site.ConfigExchange(Site), Topology.AllKeys);
        var received = Channel.CreateUnbounded<JsonElement>();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            received.Writer.TryWrite(JsonDocument.Parse(Encoding.UTF8.GetString(delivery.Body.Span)).RootElement.Clone());
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer);

        await Rtd.PublishToCentralConfigAsync(Agent(2, "Forged"));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var republished = await received.Reader.ReadAsync(timeout.Token);
        Assert.Equal(original, republished.GetProperty("siteSequence").GetInt64());
        Assert.Equal("Of record", republished.GetProperty("config").GetProperty("row").GetProperty("name").GetString());
        Assert.Equal("Of record", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
    }

    [Fact]
    public async Task Should_answer_stats_and_apply_the_next_edit_after_the_replicas_connections_are_terminated()
    {
        await SeedPeripheralAsync(); // 1
        await Rtd.WaitAppliedAsync(Site, 1);
        await Rtd.StatsAsync(Distributor); // the pool holds idle connections now

        await using (var admin = new NpgsqlConnection(TestSettings.ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid()", admin);
            terminate.Parameters.AddWithValue("db", Rtd.ReplicaDatabase(Site));
            Assert.True((long)(await terminate.ExecuteScalarAsync())! > 0);
        }

        var stats = await Rtd.StatsAsync(Distributor); // throws unless 200
        Assert.Equal(1, stats.GetProperty("appliedConfigSequence").GetInt64());
        await PutAsync("agent", 101, new { name = "After the purge", peripheralId = 1 }); // 2
        await Rtd.WaitAppliedAsync(Site, 2);
        Assert.Equal("After the purge", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
    }

    /// <summary>A message on the central config exchange with the given content type, as a broken or hostile publisher might send it.</summary>
    private async Task PublishRawToCentralConfigAsync(byte[] body, string contentType)
    {
        await using var connection = await TestSettings.RabbitConnection(Rtd.CentralVirtualHost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(Topology.Central.ConfigExchange, "agent.upsert", false, new BasicProperties { ContentType = contentType }, body);
    }
}
