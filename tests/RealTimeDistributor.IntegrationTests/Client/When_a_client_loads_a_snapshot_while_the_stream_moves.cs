using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// The snapshot/stream race: the client's queue is bound before the snapshot is taken, changes keep arriving while it
/// loads, and the client ends up with exactly the replica's state, having applied no update twice.
/// </summary>
public sealed class When_a_client_loads_a_snapshot_while_the_stream_moves : IAsyncLifetime
{
    private const int Rows = 20_000;
    private RtdSystem _system = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        _site = _system.Site("a");
        await _system.StartDistributorAsync(_site);
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    private static IEnumerable<string> Keys(int from, int count) => Enumerable.Range(from, count).Select(i => i.ToString(CultureInfo.InvariantCulture));

    [Fact]
    public async Task Should_neither_lose_nor_apply_twice_what_changed_while_the_snapshot_loaded()
    {
        await _system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" });
        await _system.PutConfigAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        await _system.PublishAsync(RealTimeTables.SkillGroup, Keys(0, Rows), version: 1);
        await Eventually.Until(() => _system.ReplicaRowCountAsync(_site, RealTimeTables.SkillGroup), n => n == Rows, "the seeded rows in the replica",
            TimeSpan.FromSeconds(60));

        using var stop = new CancellationTokenSource();
        var feed = Task.Run(async () =>
        {
            for (var version = 2L; !stop.IsCancellationRequested; version++)
            {
                await _system.PublishAsync(RealTimeTables.SkillGroup, Keys((int)(version * 300 % Rows), 300), version);
                await Task.Delay(5);
            }
        });
        var client = await _system.StartClientAsync(_site, "ws1");
        var view = client.Services.GetRequiredService<ClientView>();
        var applied = new List<ViewRow>();
        view.Changed += row =>
        {
            lock (applied)
            {
                applied.Add(row);
            }
        };
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(1)); // the feed keeps going a little after the load
        await stop.CancelAsync();
        await feed;

        // everything published before the marker has reached the client once the marker has: the site stream is in order
        await _system.PublishAsync(RealTimeTables.SkillGroup, ["marker"], version: 1_000_000);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "marker", _ => true, TimeSpan.FromSeconds(60));

        Assert.Equal(await _system.ReplicaVersionsAsync(_site, RealTimeTables.SkillGroup), view.Versions(RealTimeTables.SkillGroup));
        Assert.Equal("Sales", view.Find(SiteUpdate.ConfigKind, "skillgroup", "10")?.Value?.GetProperty("name").GetString());
        Assert.True(view.Buffered > 0, "the stream should have moved while the snapshot loaded (nothing was buffered)");
        Assert.True(view.Duplicates > 0, "some buffered updates should have been in the snapshot already");
        Assert.Equal(0, view.Gaps);
        Assert.Equal(1, view.Snapshots);
        lock (applied)
        {
            Assert.All(applied, row => Assert.True(row.SiteSequence > view.SnapshotSequence, $"{row.Key} at {row.SiteSequence} is in the snapshot"));
            Assert.Equal(applied.Count, applied.Select(r => r.SiteSequence).Distinct().Count());
            Assert.Equal(applied.OrderBy(r => r.SiteSequence).Select(r => r.SiteSequence), applied.Select(r => r.SiteSequence));
        }
    }
}
