using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// Issue 22, a snapshot storm (every workstation reloading at once): many requests published together, half for the
/// whole site and half for one table and a key, are all answered, each with exactly the replica's state at the site
/// sequence it names, and the requests that waited while the replica was read shared the next read (the distributor's
/// /stats counts fewer reads than requests). Its /stats <c>pipeline</c> counts the real-time transactions that brought
/// the rows and the time they took.
/// </summary>
public sealed class When_many_workstations_ask_for_a_snapshot_at_once : SystemTest
{
    private const int Requests = 40;
    private const int Rows = 10_000;

    protected override bool StartsDistributor => true;

    private static IEnumerable<string> Keys(int count) => Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public async Task Should_answer_every_request_with_the_state_at_its_site_sequence_from_few_reads()
    {
        await SeedPeripheralAsync();
        await PutAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, Keys(Rows), version: 1);
        await Rtd.PublishAsync(RealTimeTables.Agent, Keys(Rows / 10), version: 1);
        await Rtd.WaitReplicaHoldsAsync(Site, applied: 2, realTimeRows: Rows + Rows / 10, version: 1);
        var siteSequence = await Rtd.QueryReplicaAsync<long>(Site, "SELECT site_sequence FROM sync_state");
        using var http = new HttpClient { BaseAddress = new Uri(Distributor.Urls.First()) };
        var before = await http.GetFromJsonAsync<JsonElement>("/stats");
        // the site stream's time: the real-time transactions that brought the rows, and their apply and publish
        var pipeline = before.GetProperty("pipeline");
        Assert.InRange(pipeline.GetProperty("realTimeBatches").GetInt64(), 1, pipeline.GetProperty("realTimeMessages").GetInt64());
        Assert.True(pipeline.GetProperty("applyMs").GetInt64() > 0 && pipeline.GetProperty("publishMs").GetInt64() > 0, pipeline.ToString());
        Assert.True(pipeline.GetProperty("publishTurnWaitMs").GetInt64() >= 0, pipeline.ToString());

        var factory = TestSettings.RabbitConnection(Topology.Site.VirtualHost(Site));
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var requests = new List<(SiteSnapshotRequested Request, SnapshotCollector<SiteSnapshotRow> Collector)>();
        for (var i = 0; i < Requests; i++)
        {
            var workstation = $"storm{i:00}";
            var replyTo = Topology.Site.ClientSnapshotQueue(Site, workstation);
            var collector = new SnapshotCollector<SiteSnapshotRow>(Guid.NewGuid());
            await channel.QueueDeclareAsync(replyTo, durable: false, exclusive: true, autoDelete: true);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += (_, delivery) =>
            {
                collector.Add(JsonSerializer.Deserialize<SnapshotChunk<SiteSnapshotRow>>(delivery.Body.Span, Json.Options)!);
                return Task.CompletedTask;
            };
            await channel.BasicConsumeAsync(replyTo, autoAck: true, consumer);
            string[] bindings = i % 2 == 0 ? ["#"] : ["agent.*", "skillgroup.10"];
            requests.Add((new SiteSnapshotRequested(Site, workstation, collector.SnapshotId, replyTo, bindings, DateTimeOffset.UtcNow), collector));
        }
        var properties = new BasicProperties { ContentType = "application/json", UserId = TestSettings.RabbitUser };
        foreach (var (request, _) in requests)
        {
            await channel.BasicPublishAsync(Topology.Site.SnapshotRequestExchange(Site), "snapshot", false, properties, Json.Serialize(request));
        }
        var snapshots = await Task.WhenAll(requests.Select(r => r.Collector.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None)));

        var realTime = await Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup);
        var agents = await Rtd.ReplicaVersionsAsync(Site, RealTimeTables.Agent);
        foreach (var ((request, _), snapshot) in requests.Zip(snapshots))
        {
            Assert.Equal(siteSequence, snapshot.Watermark);
            var rows = snapshot.Rows.ToList();
            Assert.Equal(agents, rows.Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == RealTimeTables.Agent).ToDictionary(r => r.Key, r => r.Version));
            Assert.Equal(request.Bindings[0] == "#" ? realTime : realTime.Where(r => r.Key == "10").ToDictionary(),
                rows.Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == RealTimeTables.SkillGroup).ToDictionary(r => r.Key, r => r.Version));
            Assert.Equal(request.Bindings[0] == "#" ? ["peripheral:1", "skillgroup:10"] : ["skillgroup:10"],
                rows.Where(r => r.Kind == SiteUpdate.ConfigKind).Select(r => $"{r.Table}:{r.Key}").Order());
        }

        var after = await http.GetFromJsonAsync<JsonElement>("/stats");
        long Delta(string counter) => after.GetProperty(counter).GetInt64() - before.GetProperty(counter).GetInt64();
        Assert.Equal(Requests, Delta("snapshotRequestsServed"));
        // the first request is read alone; those that came while it was read wait for the next read, together
        Assert.InRange(Delta("snapshotReplicaReads"), 1, Requests / 4);
    }
}
