using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;
using RealTimeDistributor.Tests.Central.Statistics;

namespace RealTimeDistributor.Tests.Central.Snapshots;

public sealed class When_cutting_a_real_time_snapshot
{
    private static readonly DateTimeOffset Start = ManualClock.At("2026-11-25T10:00:00Z");

    private static (StatisticsEngine Engine, IReadOnlyList<TableRows> First) Engine(int agents)
    {
        var clock = new ManualClock(Start);
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        engine.Configure(StatisticsConfiguration.Synthetic(agents), Start);
        return (engine, engine.Collect(Start, fullRefresh: false));
    }

    [Fact]
    public void Should_hold_every_row_as_the_last_interval_left_it()
    {
        var (engine, first) = Engine(100);
        engine.Apply(new AgentStateChanged(Start.AddSeconds(1), 5, AgentStates.Ready, 0, 1));
        var changed = engine.Collect(Start.AddSeconds(2), fullRefresh: false);
        engine.Apply(new AgentStateChanged(Start.AddSeconds(3), 6, AgentStates.Ready, 0, 1)); // not collected yet: not in the snapshot

        var (intervalAt, tables) = engine.Current();

        Assert.Equal(Start.AddSeconds(2), intervalAt);
        var expected = first.SelectMany(t => t.Rows.Select(r => (t.Table, r.Key, r))).ToDictionary(x => (x.Table, x.Key), x => x.r);
        foreach (var table in changed)
        {
            foreach (var row in table.Rows)
            {
                expected[(table.Table, row.Key)] = row;
            }
        }
        Assert.Equal(expected, tables.SelectMany(t => t.Rows.Select(r => (t.Table, r.Key, r))).ToDictionary(x => (x.Table, x.Key), x => x.r));
        Assert.Equal("ready", tables.Single(t => t.Table == RealTimeTables.Agent).Rows.Single(r => r.Key == "5").Data.GetProperty("state").GetString());
        Assert.Equal("logged-out", tables.Single(t => t.Table == RealTimeTables.Agent).Rows.Single(r => r.Key == "6").Data.GetProperty("state").GetString());
    }

    [Fact]
    public void Should_answer_nothing_before_the_first_interval()
    {
        var clock = new ManualClock(Start);
        var engine = new StatisticsEngine(new VersionClock(clock), clock);
        engine.Configure(StatisticsConfiguration.Synthetic(10), Start);

        var (intervalAt, tables) = engine.Current();

        Assert.Null(intervalAt);
        Assert.All(tables, t => Assert.Empty(t.Rows));
    }

    [Fact]
    public async Task Should_bound_every_chunk_in_rows_and_in_bytes()
    {
        var (_, first) = Engine(10_000);
        var rows = first.SelectMany(t => t.Rows.Select(r => new RealTimeSnapshotRow(t.Table, r))).ToList();
        var chunks = new List<SnapshotChunk<RealTimeSnapshotRow>>();
        var writer = new SnapshotWriter<RealTimeSnapshotRow>("site-a", Guid.NewGuid(), Start.UtcTicks, Start, Topology.Central.RealTimeSnapshotChunkRows,
            Topology.Central.RealTimeSnapshotChunkMaxBytes, (chunk, _) =>
            {
                chunks.Add(chunk);
                return Task.CompletedTask;
            });
        foreach (var row in rows)
        {
            await writer.AddAsync(row, CancellationToken.None);
        }
        await writer.FinishAsync(CancellationToken.None);

        Assert.Equal(rows, chunks.SelectMany(c => c.Rows));
        Assert.True(chunks.Count > rows.Count / Topology.Central.RealTimeSnapshotChunkRows, "skill group rows are larger: the byte bound cuts too");
        Assert.All(chunks, c => Assert.InRange(c.Rows.Count, 1, Topology.Central.RealTimeSnapshotChunkRows));
        Assert.All(chunks, c => Assert.InRange(Json.Serialize(c).Length, 1, Topology.Central.RealTimeSnapshotChunkMaxBytes));
    }
}
