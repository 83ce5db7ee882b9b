using RealTimeDistributor.Client.Stream;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

/// <summary>The fencing epoch and the reset on the client side (docs/wire-format.md, "Epochs, streams and resets").</summary>
public sealed class When_the_site_stream_changes_epoch
{
    private static readonly Guid Stream = Guid.NewGuid();

    private static RealTimeUpdate Rt(long siteSequence, long epoch, long previous = 0, Guid? stream = null) =>
        new("site-a", siteSequence, "agent",
            [new RealTimeRow("1001", siteSequence, DateTimeOffset.UnixEpoch, Json.ToElement(new { value = siteSequence }))], DateTimeOffset.UnixEpoch)
        {
            PreviousSiteSequence = previous,
            Epoch = epoch,
            StreamId = stream ?? Stream,
        };

    private static ResetUpdate Reset(long siteSequence, long epoch) =>
        new("site-a", siteSequence, DateTimeOffset.UnixEpoch) { Epoch = epoch, StreamId = Stream };

    private static ClientView Loaded(long siteSequence, long epoch)
    {
        var view = new ClientView();
        view.Load(siteSequence, [], epoch, Stream);
        return view;
    }

    [Fact]
    public void Should_ignore_and_count_a_message_of_a_lower_epoch()
    {
        var view = Loaded(10, epoch: 5);

        Assert.Equal(ApplyOutcome.StaleEpoch, view.Apply(Rt(11, epoch: 4, previous: 10)));

        Assert.Equal(1, view.StaleEpochs);
        Assert.False(view.IsLoading);
        Assert.Null(view.Find(SiteUpdate.RealTimeKind, "agent", "1001"));
        Assert.Equal(ApplyOutcome.Applied, view.Apply(Rt(11, epoch: 5, previous: 10)));
    }

    [Fact]
    public void Should_reload_on_a_higher_epoch_and_apply_the_message_after_the_new_snapshot()
    {
        var view = Loaded(10, epoch: 5);

        Assert.Equal(ApplyOutcome.Reset, view.Apply(Rt(12, epoch: 6, previous: 11)));
        Assert.True(view.IsLoading);
        Assert.Equal(1, view.Resets);

        Assert.Equal(ApplyOutcome.Applied, view.Load(11, [], epoch: 6, streamId: Stream));
        Assert.Equal(12, view.LastSiteSequence);
        Assert.Equal(6, view.Epoch);
    }

    [Fact]
    public void Should_reload_when_a_recreated_replica_starts_its_site_sequence_again()
    {
        // the old stream had reached 50 000; the new replica's stream starts at 1, under a higher epoch and a new id
        var view = Loaded(50_000, epoch: 5);

        Assert.Equal(ApplyOutcome.Reset, view.Apply(Rt(1, epoch: 1_000_000, stream: Guid.NewGuid())));
        Assert.Equal(0, view.Duplicates);
    }

    [Fact]
    public void Should_reload_on_another_stream_id_of_the_same_epoch()
    {
        var view = Loaded(10, epoch: 5);

        Assert.Equal(ApplyOutcome.Reset, view.Apply(Rt(11, epoch: 5, previous: 10, stream: Guid.NewGuid())));
    }

    [Fact]
    public void Should_reload_on_a_reset_after_its_snapshot_and_drop_one_the_snapshot_already_covers()
    {
        var view = Loaded(10, epoch: 5);

        Assert.Equal(ApplyOutcome.Duplicate, view.Apply(Reset(9, epoch: 5)));
        Assert.False(view.IsLoading);
        Assert.Equal(ApplyOutcome.Reset, view.Apply(Reset(11, epoch: 5)));
        Assert.True(view.IsLoading);

        // a reset buffered while the snapshot loads that the snapshot covers does not start another load
        view.Apply(Reset(11, epoch: 5));
        Assert.Equal(ApplyOutcome.Applied, view.Load(11, [], epoch: 5, streamId: Stream));
        Assert.False(view.IsLoading);
    }

    [Fact]
    public void Should_accept_a_reset_and_refuse_one_that_carries_rows()
    {
        Assert.Null(SiteUpdateRules.Problem(Reset(3, epoch: 1), "site-a"));
        Assert.NotNull(SiteUpdateRules.Problem(Reset(3, epoch: -1), "site-a"));
    }
}
