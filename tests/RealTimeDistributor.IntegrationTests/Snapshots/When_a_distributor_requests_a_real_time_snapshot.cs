using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Snapshots;

/// <summary>
/// The central real-time snapshot over the real broker: the central controller's statistics engine holds 10,000 agents
/// (11,030 rows) and keeps running intervals while a requester on the central vhost asks for a snapshot. The chunks
/// arrive, each within the row and byte bounds, and reassemble to exactly the engine's rows
/// after one of its intervals (versions, central update times, values), the one the snapshot names.
/// </summary>
public sealed class When_a_distributor_requests_a_real_time_snapshot : SystemTest // RealTime:Simulate is false: the test drives the engine's intervals itself
{
    private const int Agents = 10_000;
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Should_stream_the_rows_of_one_interval_in_bounded_chunks()
    {
        var engine = Rtd.Central.Services.GetRequiredService<StatisticsEngine>();
        var configuration = StatisticsConfiguration.Synthetic(Agents);
        engine.Configure(configuration, Start);
        var state = new Dictionary<(string Table, string Key), RealTimeRow>();
        var afterInterval = new ConcurrentDictionary<DateTimeOffset, Dictionary<(string Table, string Key), RealTimeRow>>();
        void Interval(DateTimeOffset now)
        {
            foreach (var table in engine.Collect(now, fullRefresh: false))
            {
                foreach (var row in table.Rows)
                {
                    state[(table.Table, row.Key)] = row;
                }
            }
            afterInterval[now] = new(state);
        }
        Interval(Start);
        Assert.True(state.Count > Agents, $"the engine holds {state.Count} rows");

        // intervals go on while the snapshot is taken and streamed: agents change state, so rows get new versions
        using var stop = new CancellationTokenSource();
        var intervals = Task.Run(async () =>
        {
            var random = new Random(7);
            for (var k = 1; k <= 500 && !stop.IsCancellationRequested; k++)
            {
                var now = Start.AddSeconds(k);
                for (var e = 0; e < 200; e++)
                {
                    engine.Apply(new AgentStateChanged(now, configuration.Agents[random.Next(Agents)], k % 2 == 0 ? AgentStates.Ready : AgentStates.NotReady, k, null));
                }
                Interval(now);
                await Task.Delay(5);
            }
        });

        var snapshot = await CentralSnapshot.RealTimeAsync(Rtd, [], TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await intervals;

        var intervalAt = new DateTimeOffset(snapshot.Watermark, TimeSpan.Zero);
        Assert.True(afterInterval.TryGetValue(intervalAt, out var expected), $"no interval ran at {intervalAt}");
        var chunks = snapshot.Chunks;
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.Equal([.. Enumerable.Repeat(false, chunks.Count - 1), true], chunks.Select(c => c.Last));
        Assert.All(chunks, c => Assert.InRange(c.Rows.Count, 1, Topology.Central.RealTimeSnapshotChunkRows));
        // the bytes the center sent: System.Text.Json writes a chunk read back the same as it came
        Assert.All(chunks, c => Assert.InRange(Json.Serialize(c).Length, 1, Topology.Central.RealTimeSnapshotChunkMaxBytes));
        Assert.All(chunks, c => Assert.Equal(snapshot.Watermark, c.Watermark));
        Assert.Equal(expected.Count, snapshot.TotalRows);

        var rows = snapshot.Rows.ToDictionary(r => (r.Table, r.Row.Key), r => r.Row);
        Assert.Equal(expected.Count, rows.Count);
        foreach (var (key, row) in expected)
        {
            Assert.True(rows.TryGetValue(key, out var got), $"{key} is missing from the snapshot");
            Assert.Equal((row.Version, row.UpdatedAt), (got.Version, got.UpdatedAt));
            Assert.True(System.Text.Json.JsonElement.DeepEquals(row.Data, got.Data), $"{key}: {got.Data} is not {row.Data}");
            Assert.True(got.UpdatedAt <= intervalAt);
        }

        // a request may name the tables it wants
        var groups = await CentralSnapshot.RealTimeAsync(Rtd, [RealTimeTables.SkillGroup], TimeSpan.FromSeconds(30));
        Assert.All(groups.Rows, r => Assert.Equal(RealTimeTables.SkillGroup, r.Table));
        Assert.Equal(configuration.SkillGroups.Count, groups.Rows.Count());
    }
}
