using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Snapshots;

/// <summary>
/// The central real-time snapshot over the real broker: the central controller's statistics engine holds 10,000 agents
/// (11,030 rows) and keeps running intervals while a requester on the central vhost asks for a snapshot. The chunks
/// arrive, each within the row and byte bounds, and reassemble to exactly the engine's rows
/// after one of its intervals (versions, central update times, values), the one the snapshot names.
/// </summary>
public sealed class When_a_distributor_requests_a_real_time_snapshot : IAsyncLifetime
{
    private const int Agents = 10_000;
    private static readonly DateTimeOffset Start = new(2026, 11, 25, 10, 0, 0, TimeSpan.Zero);
    private RtdSystem _system = null!;
    private IBusControl _requester = null!;

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync(); // RealTime:Simulate is false: the test drives the engine's intervals itself
        var broker = new RabbitMqSettings(TestSettings.RabbitHost, TestSettings.RabbitPort, TestSettings.RabbitUser, TestSettings.RabbitPassword,
            false, TimeSpan.FromSeconds(10), _system.CentralVirtualHost);
        _requester = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.UseRtdBroker(broker, _system.CentralVirtualHost, "rtd test real-time snapshot requester"));
        await _requester.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _requester.StopAsync();
        await _system.DisposeAsync();
    }

    [Fact]
    public async Task Should_stream_the_rows_of_one_interval_in_bounded_chunks()
    {
        var engine = _system.Central.Services.GetRequiredService<StatisticsEngine>();
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

        var client = new RealTimeSnapshotClient(_requester);
        var snapshot = await client.RequestAsync("test", [], TimeSpan.FromSeconds(30), CancellationToken.None);
        await stop.CancelAsync();
        await intervals;

        Assert.NotNull(snapshot.IntervalAt);
        Assert.True(afterInterval.TryGetValue(snapshot.IntervalAt.Value, out var expected), $"no interval ran at {snapshot.IntervalAt}");
        var chunks = snapshot.Chunks;
        Assert.Equal(Enumerable.Range(0, chunks.Count), chunks.Select(c => c.Index));
        Assert.All(chunks, c => Assert.Equal(chunks.Count, c.Count));
        Assert.Equal([.. Enumerable.Repeat(false, chunks.Count - 1), true], chunks.Select(c => c.Last));
        Assert.All(chunks, c => Assert.InRange(c.Rows.Count, 1, Topology.Central.RealTimeSnapshotChunkRows));
        Assert.All(snapshot.ChunkBytes, b => Assert.InRange(b, 1, Topology.Central.RealTimeSnapshotChunkMaxBytes));
        Assert.All(chunks, c => Assert.Equal(snapshot.IntervalAt, c.IntervalAt));
        Assert.Equal(expected.Count, chunks[^1].TotalRows);

        var rows = snapshot.Rows.ToDictionary(r => (r.Table, r.Row.Key), r => r.Row);
        Assert.Equal(expected.Count, rows.Count);
        foreach (var (key, row) in expected)
        {
            Assert.True(rows.TryGetValue(key, out var got), $"{key} is missing from the snapshot");
            Assert.Equal((row.Version, row.UpdatedAt), (got.Version, got.UpdatedAt));
            Assert.True(System.Text.Json.JsonElement.DeepEquals(row.Data, got.Data), $"{key}: {got.Data} is not {row.Data}");
            Assert.True(got.UpdatedAt <= snapshot.IntervalAt);
        }

        // a request may name the tables it wants
        var groups = await client.RequestAsync("test", [RealTimeTables.SkillGroup], TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.All(groups.Chunks, c => Assert.Equal(RealTimeTables.SkillGroup, c.Table));
        Assert.Equal(configuration.SkillGroups.Count, groups.Rows.Count());
    }
}
