using RealTimeDistributor.Lab.Chaos;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Chaos;

/// <summary>
/// A short run of every scenario of `rtd-lab chaos` (docs/reliability.md) on the real broker and database: the system runs as
/// processes on vhosts and databases of its own, shared by the scenarios of this class (a scenario that fails leaves a
/// fresh system to the next); the broker restart runs on a private RabbitMQ node. Each passes when the oracle finds every
/// replica and client view equal to the center, and the scenario's own checks hold.
/// </summary>
public sealed class When_the_fault_matrix_runs(When_the_fault_matrix_runs.SharedSystem shared, ITestOutputHelper output)
    : IClassFixture<When_the_fault_matrix_runs.SharedSystem>
{
    private static readonly TimeSpan LoadAfterFault = TimeSpan.FromSeconds(1);

    /// <summary>Every scenario of `rtd-lab chaos --all`.</summary>
    public static TheoryData<string> Names => [.. Scenarios.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Should_end_with_every_replica_and_view_equal_to_the_center(string name)
    {
        var scenario = Scenarios.Named(name);
        ScenarioResult result;
        if (scenario.NeedsPrivateBroker)
        {
            await using var node = await PrivateNode.StartAsync();
            await using var system = await ChaosSystem.StartAsync(node.Endpoint, shared.Logs, 1, CancellationToken.None);
            await using var run = new ChaosRun(system, 42);
            result = await run.RunAsync(scenario, LoadAfterFault, CancellationToken.None);
        }
        else if (scenario.NeedsCentralDatabaseCluster)
        {
            result = await ChaosSystem.OnCentralDatabaseClusterAsync(shared.Logs, 1, async system =>
            {
                await using var run = new ChaosRun(system, 42);
                return await run.RunAsync(scenario, LoadAfterFault, CancellationToken.None);
            }, CancellationToken.None);
        }
        else
        {
            await using var run = new ChaosRun(await shared.SystemAsync(), 42);
            result = await run.RunAsync(scenario, LoadAfterFault, CancellationToken.None);
            if (!result.Verdict.Passed)
            {
                await shared.DiscardAsync();
            }
        }

        output.WriteLine($"{name}: lost {result.Verdict.Lost}, duplicated {result.Verdict.Duplicated}, unexpected {result.Verdict.Unexpected}, "
            + $"stale {result.Verdict.Stale}, converged {result.Convergence?.TotalSeconds:0.0} s, failover {result.Failover?.TotalSeconds:0.0} s, "
            + $"edits {result.Edits}/{result.EditsRefused}/{result.EditsFailed} (accepted/refused/failed), real-time rows {result.RealTimeRows}, took {result.Took.TotalSeconds:0.0} s");
        Assert.True(result.Verdict.Passed, $"{name}: lost {result.Verdict.Lost}, duplicated {result.Verdict.Duplicated}, unexpected "
            + $"{result.Verdict.Unexpected}, stale {result.Verdict.Stale}; {string.Join("; ", result.Verdict.Violations)}");
    }

    /// <summary>One system for the scenarios of the class, started on first use.</summary>
    public sealed class SharedSystem : IAsyncLifetime
    {
        private ChaosSystem? _system;

        public string Logs { get; } = Path.Combine(Path.GetTempPath(), "rtd-chaos-tests");

        public async Task<ChaosSystem> SystemAsync() =>
            _system ??= await ChaosSystem.StartAsync(BrokerEndpoint.Shared(), Logs, 1, CancellationToken.None);

        public async Task DiscardAsync()
        {
            if (_system is not null)
            {
                await _system.DisposeAsync();
                _system = null;
            }
        }

        public Task InitializeAsync() => Task.CompletedTask;

        public Task DisposeAsync() => DiscardAsync();
    }
}
