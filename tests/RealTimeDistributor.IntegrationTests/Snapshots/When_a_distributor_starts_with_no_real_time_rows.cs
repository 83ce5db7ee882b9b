using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Snapshots;

/// <summary>
/// A new site's distributor, whose replica holds no real-time row, loads the central real-time snapshot at start: its
/// replica holds every row of the central engine, at the engine's versions, although nothing was published on the
/// real-time stream (no full refresh to wait for).
/// </summary>
public sealed class When_a_distributor_starts_with_no_real_time_rows : SystemTest // no feed: nothing is published on the stream
{
    protected override string SiteName => "fresh";

    [Fact]
    public async Task Should_load_the_engine_rows_from_the_central_snapshot()
    {
        var engine = Rtd.Central.Services.GetRequiredService<StatisticsEngine>();
        var now = DateTimeOffset.UtcNow;
        engine.Configure(StatisticsConfiguration.Synthetic(1_000), now);
        var tables = engine.Collect(now, fullRefresh: false);
        await Rtd.StartDistributorAsync(Site);

        foreach (var table in tables.Where(t => t.Rows.Count > 0))
        {
            var expected = table.Rows.ToDictionary(r => r.Key, r => r.Version);
            await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, table.Table), versions => versions.Count == expected.Count,
                $"the replica's {table.Table} rows", TimeSpan.FromSeconds(60));
            Assert.Equal(expected, await Rtd.ReplicaVersionsAsync(Site, table.Table));
        }
        Assert.Equal(tables.Sum(t => t.Rows.Count), await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM realtime_row"));
        Assert.Equal(0L, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM realtime_row WHERE table_name <> ALL(@tables)",
            ("tables", RealTimeTables.All.ToArray())));
    }
}
