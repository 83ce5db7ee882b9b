using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// A message on the site exchange with a forged site sequence (10^15, as anyone with the distributor's credentials
/// could publish) or a table the center does not publish: the client refuses and counts it, does not apply it, and
/// keeps following the real stream. A forged epoch (issue 24: 2^63-1 made every client reload its snapshot 45-55 times a
/// second, for ever) is refused when no replica can have it, and one a site could have makes the client reload once.
/// </summary>
public sealed class When_a_forged_site_message_arrives : SystemTest
{
    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    [Fact]
    public async Task Should_refuse_it_and_keep_following_the_view()
    {
        var view = View;
        var last = await FollowingAsync();

        // a forger who read a genuine message copies its epoch and stream: only the sequence and table checks stop these two
        const long forged = 1_000_000_000_000_000;
        await PublishOnSiteAsync(Forged(forged, last, RealTimeTables.SkillGroup), Forged(last + 1, last, "payroll"));
        await Eventually.Until(() => Task.FromResult(view.Refused), refused => refused == 2, "both forged messages refused");
        // one that does not know the epoch is ignored before any other check
        await PublishOnSiteAsync(Forged(last + 1, last, RealTimeTables.SkillGroup) with { Epoch = 0 });
        await Eventually.Until(() => Task.FromResult(view.StaleEpochs), stale => stale == 1, "the forged message of an old epoch ignored");
        // the sequence far ahead also asks for a fresh snapshot, in case the site really is there
        await view.WaitForSnapshotsAsync(2);

        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["7"], version: 2);
        var row = await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "7", r => r.Version == 2);
        Assert.False(row.Value!.Value.TryGetProperty("forged", out _));
        Assert.True(view.LastSiteSequence < forged, $"the view's site sequence {view.LastSiteSequence}");
        Assert.Null(view.Find(SiteUpdate.RealTimeKind, "payroll", "7"));
        Assert.Equal(2, view.Refused);
    }

    [Fact]
    public async Task Should_refuse_a_forged_epoch_and_keep_its_snapshots_bounded_and_its_view_flowing()
    {
        var view = View;
        var last = await FollowingAsync();
        var snapshots = view.Snapshots;

        // an epoch no replica can have yet (a replica's creation time in ms, plus its takeovers): refused, no reload
        await PublishOnSiteAsync(Forged(last + 1, last, RealTimeTables.SkillGroup) with { Epoch = long.MaxValue });
        await Eventually.Until(() => Task.FromResult(view.Refused), refused => refused == 1, "the forged epoch refused");
        // one a takeover could make: the client reloads once, and does not replay the message after the snapshot
        await PublishOnSiteAsync(Forged(last + 1, last, RealTimeTables.SkillGroup) with { Epoch = view.Epoch + 1 });
        await view.WaitForSnapshotsAsync(snapshots + 1);

        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["7"], version: 2);
        var row = await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "7", r => r.Version == 2);
        Assert.False(row.Value!.Value.TryGetProperty("forged", out _));
        Assert.True(view.Snapshots <= snapshots + 2, $"{view.Snapshots - snapshots} snapshots loaded after the forged epochs");
        Assert.Equal((1L, 1L), (view.Resets, view.Refused));
    }

    [Fact]
    public async Task Should_park_a_message_that_does_not_parse_in_its_error_queue_with_the_reason_and_keep_following()
    {
        var view = View;
        var last = await FollowingAsync();

        // no site message shape: an unknown kind, then a real-time message without rows, between two genuine ones
        var exchange = Topology.Site.RealTimeExchange(Site);
        await PublishOnSiteAsync(
            new OutgoingMessage(exchange, RealTimeTables.SkillGroup, "{\"site\":\"x\",\"kind\":\"gossip\"}"u8.ToArray(), "malformed-1"));
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["7"], version: 2);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "7", r => r.Version == 2);

        var errorQueue = Topology.ErrorQueue(Topology.Site.ClientQueue(Site, Workstation));
        var vhost = Topology.Site.VirtualHost(Site);
        await Eventually.Until(async () => (await Rtd.Broker.QueueAsync(vhost, errorQueue))?.Messages ?? 0, m => m == 1, $"one message in {errorQueue}");
        var parked = await QueueReader.PeekAsync(vhost, errorQueue, TimeSpan.FromSeconds(60));
        Assert.NotNull(parked);
        Assert.Contains("gossip", parked.Headers["MT-Fault-Message"], StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"gossip\"", parked.Body, StringComparison.Ordinal);
        Assert.Equal(1, view.Refused);
        Assert.True(view.LastSiteSequence > last, $"the view's site sequence {view.LastSiteSequence}, {last} before");
    }

    /// <summary>Waits until the view follows the stream (a snapshot, then a genuine row); returns its last site sequence.</summary>
    private async Task<long> FollowingAsync()
    {
        await View.WaitForSnapshotsAsync(1);
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, ["7"], version: 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "7", r => r.Version == 1);
        return View.LastSiteSequence;
    }

    private RealTimeUpdate Forged(long sequence, long previous, string table) =>
        new(Site, sequence, table, [new RealTimeRow("7", 999, DateTimeOffset.UtcNow, Json.ToElement(new { forged = true }))], DateTimeOffset.UtcNow)
        {
            PreviousSiteSequence = previous,
            Epoch = View.Epoch,
            StreamId = View.StreamId,
        };
}
