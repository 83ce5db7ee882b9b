using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Central.Snapshots;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
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
    public void Should_bound_every_chunk_in_rows_and_in_bytes()
    {
        var (_, first) = Engine(10_000);
        foreach (var table in first.Where(t => t.Rows.Count > 0))
        {
            var chunks = RealTimeSnapshotConsumer.Chunks(table.Rows).ToList();

            Assert.Equal(table.Rows, chunks.SelectMany(c => c));
            Assert.All(chunks, c => Assert.InRange(c.Count, 1, Topology.Central.RealTimeSnapshotChunkRows));
            Assert.All(chunks, c => Assert.InRange(Json.Serialize(new RealTimeSnapshotChunk("site-a", Guid.NewGuid(), 0, chunks.Count, false, 110_030,
                Start, Start, table.Table, c)).Length, 1, Topology.Central.RealTimeSnapshotChunkMaxBytes));
        }
    }
}
