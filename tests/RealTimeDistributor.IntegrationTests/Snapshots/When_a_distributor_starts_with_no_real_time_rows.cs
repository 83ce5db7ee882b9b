using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Snapshots;

/// <summary>
/// A new site's distributor, whose replica holds no real-time row, loads the central real-time snapshot at start: its
/// replica holds every row of the central engine, at the engine's versions, although nothing was published on the
/// real-time stream (no full refresh to wait for).
/// </summary>
public sealed class When_a_distributor_starts_with_no_real_time_rows : IAsyncLifetime
{
    private RtdSystem _system = null!;

    public async Task InitializeAsync() => _system = await RtdSystem.StartAsync(); // no feed: nothing is published on the stream

    public async Task DisposeAsync() => await _system.DisposeAsync();

    [Fact]
    public async Task Should_load_the_engine_rows_from_the_central_snapshot()
    {
        var engine = _system.Central.Services.GetRequiredService<StatisticsEngine>();
        var now = DateTimeOffset.UtcNow;
        engine.Configure(StatisticsConfiguration.Synthetic(1_000), now);
        var tables = engine.Collect(now, fullRefresh: false);
        var site = _system.Site("fresh");

        await _system.StartDistributorAsync(site);

        foreach (var table in tables.Where(t => t.Rows.Count > 0))
        {
            var expected = table.Rows.ToDictionary(r => r.Key, r => r.Version);
            await Eventually.Until(() => _system.ReplicaVersionsAsync(site, table.Table), versions => versions.Count == expected.Count,
                $"the replica's {table.Table} rows", TimeSpan.FromSeconds(60));
            Assert.Equal(expected, await _system.ReplicaVersionsAsync(site, table.Table));
        }
        Assert.Equal(tables.Sum(t => t.Rows.Count), await _system.QueryReplicaAsync<long>(site, "SELECT count(*) FROM realtime_row"));
        Assert.Equal(0L, await _system.QueryReplicaAsync<long>(site, "SELECT count(*) FROM realtime_row WHERE table_name <> ALL(@tables)",
            ("tables", RealTimeTables.All.ToArray())));
    }
}
