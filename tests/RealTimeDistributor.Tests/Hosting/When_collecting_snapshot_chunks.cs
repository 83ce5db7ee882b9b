using Microsoft.Extensions.Logging;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Tests.Hosting;

public sealed class When_collecting_snapshot_chunks
{
    private static readonly Guid Id = Guid.NewGuid();
    private static readonly DateTimeOffset TakenAt = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    /// <summary>The chunks a sender writes for <paramref name="rows"/> rows, <paramref name="perChunk"/> a chunk (the real writer).</summary>
    private static List<SnapshotChunk<int>> Written(int rows, int perChunk, Guid? id = null)
    {
        var chunks = new List<SnapshotChunk<int>>();
        var writer = new SnapshotWriter<int>("site-a", id ?? Id, 42, TakenAt, perChunk, int.MaxValue, (chunk, _) =>
        {
            chunks.Add(chunk);
            return Task.CompletedTask;
        });
        for (var row = 0; row < rows; row++)
        {
            writer.AddAsync(row, CancellationToken.None).GetAwaiter().GetResult();
        }
        writer.FinishAsync(CancellationToken.None).GetAwaiter().GetResult();
        return chunks;
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(5, 1)]
    [InlineData(10, 3)]
    [InlineData(12, 3)]
    public void Should_number_the_chunks_count_the_rows_and_mark_the_last(int rows, int expectedChunks)
    {
        var chunks = Written(rows, perChunk: rows == 5 ? 5 : 4);

        Assert.Equal(expectedChunks, chunks.Count);
        Assert.Equal(Enumerable.Range(0, expectedChunks), chunks.Select(c => c.Index));
        Assert.Equal([.. Enumerable.Repeat(false, expectedChunks - 1), true], chunks.Select(c => c.Last));
        Assert.Equal(Enumerable.Range(0, rows), chunks.SelectMany(c => c.Rows));
        Assert.All(chunks, c => Assert.Equal(chunks.Take(c.Index + 1).Sum(p => (long)p.Rows.Count), c.TotalRows));
        Assert.All(chunks, c => Assert.InRange(c.Rows.Count, rows == 0 ? 0 : 1, 5));
        Assert.All(chunks, c => Assert.Equal((42L, "site-a", Id, TakenAt), (c.Watermark, c.Site, c.SnapshotId, c.TakenAt)));
    }

    [Fact]
    public async Task Should_complete_from_chunks_in_any_order()
    {
        var collector = new SnapshotCollector<int>(Id);
        var chunks = Written(12, 4);

        foreach (var chunk in chunks.AsEnumerable().Reverse())
        {
            Assert.False(collector.Completed.IsCompleted);
            Assert.True(collector.Add(chunk));
        }

        var snapshot = await collector.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 12), snapshot.Rows);
        Assert.Equal((42L, 12L, 3), (snapshot.Watermark, snapshot.TotalRows, snapshot.Chunks.Count));
    }

    [Fact]
    public async Task Should_count_a_chunk_that_comes_twice_once()
    {
        var collector = new SnapshotCollector<int>(Id);
        var chunks = Written(12, 4);

        collector.Add(chunks[1]);
        collector.Add(chunks[1]);
        collector.Add(chunks[0]);
        collector.Add(chunks[2]);
        collector.Add(chunks[2]);

        Assert.Equal(Enumerable.Range(0, 12), (await collector.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None)).Rows);
    }

    [Fact]
    public void Should_not_take_a_chunk_of_another_snapshot()
    {
        var collector = new SnapshotCollector<int>(Id);

        Assert.False(collector.Add(Written(1, 4, Guid.NewGuid())[0]));
        Assert.False(collector.Completed.IsCompleted);
    }

    [Fact]
    public async Task Should_time_out_when_a_chunk_never_comes()
    {
        var collector = new SnapshotCollector<int>(Id);
        var chunks = Written(12, 4);
        collector.Add(chunks[0]);
        collector.Add(chunks[2]);

        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => collector.WaitAsync(TimeSpan.FromMilliseconds(100), CancellationToken.None));
        Assert.Contains("holding 2", timeout.Message);
    }

    [Fact]
    public async Task Should_fail_when_the_rows_do_not_add_up_to_the_total()
    {
        var collector = new SnapshotCollector<int>(Id);
        var chunks = Written(12, 4);

        collector.Add(chunks[0]);
        collector.Add(chunks[1] with { Rows = [4, 5, 6] }); // a row lost on the way
        collector.Add(chunks[2]);

        var wrong = await Assert.ThrowsAsync<InvalidDataException>(() => collector.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
        Assert.Contains("chunk 1 counts 8 rows up to it, 7 came", wrong.Message);
    }

    [Theory]
    [InlineData("watermark")]
    [InlineData("second last")]
    [InlineData("after the last")]
    public async Task Should_fail_on_a_chunk_that_contradicts_the_others(string how)
    {
        var collector = new SnapshotCollector<int>(Id);
        var chunks = Written(12, 4);
        collector.Add(chunks[2]);

        collector.Add(how switch
        {
            "watermark" => chunks[0] with { Watermark = 41 },
            "second last" => chunks[1] with { Last = true },
            _ => chunks[2] with { Index = 3 },
        });

        await Assert.ThrowsAsync<InvalidDataException>(() => collector.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [Fact]
    public void Should_encode_a_chunk_with_its_rows_encoded_apart_to_the_same_bytes()
    {
        var value = Json.ToElement(new { name = "Sales \"EMEA\"", ready = 3, note = (string?)null });
        var chunk = new SnapshotChunk<SiteSnapshotRow>("site-a", Id, 2, true, 1_002, 42, TakenAt,
            [new("config", "skillgroup", "10", 3, TakenAt, value), new("realtime", "agent", "7", 9, TakenAt, value)])
        { Epoch = 1_764_417_600_001, StreamId = Guid.NewGuid() };

        var bytes = SnapshotChunkJson.WithRows(chunk with { Rows = [] }, Json.Serialize(chunk.Rows));

        Assert.Equal(Json.Serialize(chunk), bytes);
        Assert.Throws<ArgumentException>(() => SnapshotChunkJson.WithRows(chunk, Json.Serialize(chunk.Rows)));
    }

    [Fact]
    public async Task Should_send_only_to_a_reply_queue_the_topology_reserves_for_the_site_and_count_and_log_the_others_as_information()
    {
        var log = new LevelsLogged();
        await using var sender = Central(log);
        var (own, other) = (Topology.Central.DistributorUser("site-a"), Topology.Central.DistributorUser("site-b"));

        Assert.False(sender.Refuses("site-a", Topology.Central.SnapshotReplyQueue("site-a", "a-config"), Id, own));
        Assert.False(sender.Refuses("site-a", Topology.Central.SnapshotReplyQueue("site-a", "a-config"), Id, "rtd-admin"));
        Assert.True(sender.Refuses("site-a", Topology.Central.DistributorConfigQueue("site-a"), Id, own));
        Assert.True(sender.Refuses("site-a", Topology.Central.SnapshotReplyQueue("site-b", "a-config"), Id, own));
        Assert.True(sender.Refuses("site-a", null, Id, own));
        // issue 24, item 6: tied to the broker-validated user_id
        Assert.True(sender.Refuses("site-a", Topology.Central.SnapshotReplyQueue("site-a", "a-config"), Id, null));
        Assert.True(sender.Refuses("site-a", Topology.Central.SnapshotReplyQueue("site-a", "a-config"), Id, other));

        Assert.Equal(5, sender.RequestsRefused);
        // one line per sender (own, no sender, other), the rest counted only
        Assert.Equal([LogLevel.Information, LogLevel.Information, LogLevel.Information], log.Levels);
    }

    [Fact]
    public async Task Should_answer_a_workstation_only_into_its_own_snapshot_queue()
    {
        await using var sender = new SnapshotSender(Broker, "rtd-site-a", "test", Topology.Site.IsClientSnapshotQueue, Topology.Site.MayReceiveSnapshot, new LevelsLogged());
        var (ws1, ws2) = (Topology.Site.ClientSnapshotQueue("site-a", "ws1"), Topology.Site.ClientSnapshotQueue("site-a", "ws2"));

        Assert.False(sender.Refuses("site-a", ws1, Id, Topology.Site.WorkstationUser("site-a", "ws1")));
        Assert.True(sender.Refuses("site-a", ws1, Id, Topology.Site.WorkstationUser("site-a", "ws2")));
        Assert.False(sender.Refuses("site-a", ws2, Id, Topology.Site.WorkstationUser("site-a", "ws2")));
        Assert.False(sender.Refuses("site-a", ws2, Id, "rtd-admin"));
        Assert.Equal(1, sender.RequestsRefused);
    }

    [Fact]
    public async Task Should_refuse_a_sender_that_asks_more_than_its_burst_for_one_reply_queue()
    {
        await using var sender = Central(new LevelsLogged());
        var (user, queue) = (Topology.Central.DistributorUser("site-a"), Topology.Central.SnapshotReplyQueue("site-a", "a-config"));

        var answered = Enumerable.Range(0, SnapshotSender.RequestBurst * 3).Count(_ => !sender.Refuses("site-a", queue, Id, user));

        // the burst, and at most a token or two replenished while the loop ran; another sender is not held back
        Assert.InRange(answered, SnapshotSender.RequestBurst, SnapshotSender.RequestBurst + 2);
        Assert.False(sender.Refuses("site-a", queue, Id, "rtd-admin"));
    }

    private static readonly RabbitMqSettings Broker = new("127.0.0.1", 5672, "nobody", "unused", false, TimeSpan.FromSeconds(1), "rtd-central");

    private static SnapshotSender Central(ILogger<SnapshotSender> log) => new(Broker, "rtd-central", "test", Topology.Central.IsSnapshotReplyQueue,
        (sender, site, _) => Topology.Central.MayRequestSnapshotOf(sender, site), log);

    /// <summary>The level of each event logged.</summary>
    private sealed class LevelsLogged : ILogger<SnapshotSender>
    {
        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Levels.Add(logLevel);
    }
}
