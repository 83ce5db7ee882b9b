using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// A stalled client whose bounded queue overflowed (the broker dropped the oldest messages) notices the gap in its
/// tables' chain and loads a fresh snapshot instead of showing a silently wrong view.
/// </summary>
public sealed class When_a_client_queue_overflows : SystemTest
{
    private const int QueueMaxLength = 20;

    protected override bool StartsDistributor => true;

    // one row per site message, so 600 rows are 600 messages: more than the client prefetches plus its queue holds
    protected override Dictionary<string, string?> DistributorSettings => new() { ["Distributor:RealTimeRowsPerMessage"] = "1" };

    [Fact]
    public async Task Should_load_a_fresh_snapshot_and_end_with_the_replica_state()
    {
        var client = await Rtd.StartClientAsync(Site, "slow",
            new Dictionary<string, string?> { ["Client:QueueMaxLength"] = QueueMaxLength.ToString(CultureInfo.InvariantCulture) });
        var view = client.Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1);

        // stall the client: its consumer blocks on the first row until released
        var release = await view.StallOnAsync("stall", () => Rtd.PublishAsync(RealTimeTables.SkillGroup, ["stall"], version: 1));

        // 600 rows in 600 site messages: about 500 go to the consumer's prefetch, the rest wait in the queue, which keeps only the newest 20
        var keys = Enumerable.Range(0, 600).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, keys, version: 2);
        var queue = Topology.Site.ClientQueue(Site, "slow");
        await Eventually.Until(() => Rtd.Broker.QueueAsync(Topology.Site.VirtualHost(Site), queue),
            q => q?.MessagesReady == QueueMaxLength, $"{queue} to overflow", TimeSpan.FromSeconds(60));
        Assert.True(view.Snapshots == 1 && view.Gaps == 0);

        release();
        await view.WaitForSnapshotsAsync(2);
        // the 600 rows travel in several messages, which the distributor may apply in any order (rows carry versions):
        // wait for all of them rather than for the last key
        var expected = keys.ToDictionary(k => k, _ => 2L);
        expected["stall"] = 1;
        await Eventually.Until(() => Task.FromResult(view.Versions(RealTimeTables.SkillGroup)),
            v => v.Count == expected.Count && expected.All(e => v.GetValueOrDefault(e.Key) == e.Value), "the view to hold every row at its last version");

        Assert.True(view.Gaps >= 1);
        Assert.Equal(expected, await Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup));
        Assert.Equal(expected, view.Versions(RealTimeTables.SkillGroup));
    }
}
