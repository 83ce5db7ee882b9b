using RealTimeDistributor.Lab.Chaos;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.Tests.Cli;

/// <summary>
/// `rtd-lab chaos` with a host that exits during start: a real distributor process, configured with a site id it refuses, so
/// it stops at start with exit code 2 and one line naming the key (no broker or database needed to get there).
/// </summary>
public sealed class When_a_chaos_host_exits_during_start : IDisposable
{
    private readonly string _logs = Path.Combine(Path.GetTempPath(), $"rtd-chaos-start-{Guid.NewGuid():N}");

    private async Task StartBadDistributorAsync()
    {
        await using var host = HostProcess.Start("distributor-bad", "RealTimeDistributor.Distributor", new Uri("http://127.0.0.1:1"), _logs,
            new Dictionary<string, string> { ["Distributor__Site"] = "Bad Site!" });
        await HostProcess.WaitHealthyAsync([host], CancellationToken.None);
    }

    private static ScenarioResult Passed(Scenario scenario) =>
        new(scenario.Name, new Verdict(0, 0, 0, 0, []), TimeSpan.Zero, null, 1, 0, 0, null, 0, TimeSpan.Zero);

    [Fact]
    public async Task Should_say_why_with_its_exit_code_and_last_lines()
    {
        var failure = await Assert.ThrowsAsync<HostStartException>(StartBadDistributorAsync);

        Assert.Contains("distributor-bad exited during start (exit code 2)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Configuration key 'Distributor:Site'", failure.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(_logs, "distributor-bad.log"), failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_fail_that_scenario_with_the_reason_and_run_the_next()
    {
        var scenarios = Scenarios.All.Take(3).ToList();
        var output = new StringWriter();

        var results = await ChaosCommand.RunScenariosAsync(scenarios, DateTimeOffset.MinValue, output, async scenario =>
        {
            if (scenario == scenarios[1])
            {
                await StartBadDistributorAsync();
            }
            return Passed(scenario);
        });
        var exitCode = ChaosCommand.Summarize(output, results);

        Assert.Equal(scenarios.Select(s => s.Name), results.Select(r => r.Scenario));
        Assert.Equal([true, false, true], results.Select(r => r.Verdict.Passed));
        var reason = Assert.Single(results[1].Verdict.Violations);
        Assert.Contains("exit code 2", reason, StringComparison.Ordinal);
        Assert.Contains("is 'Bad Site!'", reason, StringComparison.Ordinal);
        Assert.Equal(1, exitCode);
        Assert.Contains($"1 of 3 runs failed: {scenarios[1].Name}", output.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_logs))
        {
            Directory.Delete(_logs, recursive: true);
        }
    }
}
