using Microsoft.Extensions.Logging.Abstractions;
using RealTimeDistributor.Distributor;

namespace RealTimeDistributor.Tests.Distributor;

/// <summary>Issue 27: the distributor ignores a message of a lower central epoch than the highest it has seen.</summary>
public sealed class When_a_former_center_publishes
{
    [Fact]
    public void Should_ignore_a_lower_central_epoch_and_take_an_unfenced_message()
    {
        var fence = new CentralEpochFence(NullLogger<CentralEpochFence>.Instance);

        Assert.True(fence.Admit(2, "a batch"));
        Assert.True(fence.Admit(3, "a batch"));
        Assert.True(fence.Admit(3, "a batch"));
        Assert.False(fence.Admit(2, "a batch"));
        Assert.True(fence.Admit(0, "a tool's batch"));

        Assert.Equal(3, fence.Highest);
        Assert.Equal(1, fence.Ignored);
    }
}
