using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Tests.Distributor;

/// <summary>Which config deliveries one multiple-ack may cover (<see cref="AckWindow"/>), with endings in any order.</summary>
public sealed class When_acking_configuration_deliveries
{
    private static AckWindow Received(int count)
    {
        var window = new AckWindow();
        for (var i = 0; i < count; i++)
        {
            window.Received();
        }
        return window;
    }

    [Fact]
    public void Should_ack_nothing_until_the_first_delivery_is_done()
    {
        var window = Received(3);
        window.Ended(3, done: true);
        window.Ended(2, done: true);

        Assert.Equal(0UL, window.DoneThrough);
        Assert.Equal(1, window.Open);
    }

    [Fact]
    public void Should_cover_every_delivery_up_to_the_first_that_is_not_done_yet()
    {
        var window = Received(5);
        window.Ended(2, done: true);
        window.Ended(1, done: true);
        window.Ended(4, done: true);

        Assert.Equal(2UL, window.DoneThrough);

        window.Ended(3, done: true);
        Assert.Equal(4UL, window.DoneThrough);
        Assert.Equal(1, window.Open);
    }

    [Fact]
    public void Should_hold_back_the_acks_after_a_delivery_that_ended_without_being_done()
    {
        var window = Received(3);
        window.Ended(1, done: true);
        window.Ended(2, done: false);
        window.Ended(3, done: true);

        Assert.Equal(1UL, window.DoneThrough);
        Assert.Equal(0, window.Open);
    }
}
