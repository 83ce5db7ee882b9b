using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// The race of issue 23: the distributor asks the center how far it has committed (a change beyond the center's sequence
/// came after a gap), the center reads its sequence, then commits a change and delivers it before the answer arrives.
/// That change was committed: it applies, and only the change that was waiting before the question is refused.
/// <see cref="ConfigStream.CenterAnswered"/> holds the answer back while the test commits, so the race happens every run.
/// </summary>
public sealed class When_the_center_commits_while_it_is_asked : SystemTest
{
    protected override bool StartsDistributor => true;

    [Fact]
    public async Task Should_apply_the_change_committed_during_the_question_and_refuse_only_the_one_the_center_never_committed()
    {
        await SeedPeripheralAsync(); // 1
        await Rtd.WaitAppliedAsync(Site, 1);
        var stream = Distributor.Services.GetRequiredService<ConfigStream>();
        var answers = new List<long>();
        stream.CenterAnswered = async (committed, ct) =>
        {
            answers.Add(committed);
            if (answers.Count > 1)
            {
                return;
            }
            // the center has answered 1; it now commits 2, which reaches the apply loop before that answer is weighed
            var before = stream.Arrived;
            await PutAsync("agent", 101, new { name = "Committed while asked", peripheralId = 1 }); // 2
            await Eventually.Until(() => Task.FromResult(stream.Arrived), n => n > before, "change 2 to reach the apply loop");
        };

        // a change the center never committed, after a gap: after the reorder window the center is asked about it
        await Rtd.PublishToCentralConfigAsync(new ConfigChanged(100_001, 100_000, "agent", ConfigOperations.Upsert, "102",
            Json.ToElement(new { id = 102, name = "Never committed", peripheralId = 1, configSequence = 100_001 }), DateTimeOffset.UtcNow));

        await Rtd.WaitAppliedAsync(Site, 2);
        Assert.Equal("Committed while asked", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
        Assert.Equal(1, answers[0]);
        var refused = await Rtd.ErrorMessageAsync(Topology.ErrorQueue(Topology.Central.DistributorConfigQueue(Site)));
        Assert.Contains("Change 100001 is beyond the center's last committed sequence, 1", refused.Headers["MT-Fault-Message"], StringComparison.Ordinal);
        Assert.Equal(0, (await Rtd.StatsAsync(Distributor)).GetProperty("resyncs").GetInt64());
    }
}
