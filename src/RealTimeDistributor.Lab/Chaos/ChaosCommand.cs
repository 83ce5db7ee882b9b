using System.Diagnostics;
using System.Globalization;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>
/// `rtd-lab chaos [--scenario NAME[,NAME] | --all] [--seed N] [--duration D] [--sites N]`: runs the fault matrix against the
/// whole system as processes, on vhosts and databases of its own, and prints per scenario the oracle's counts (lost,
/// duplicated, unexpected, stale), the convergence and failover times and the first violations. A host that exits during
/// start fails its scenario (its exit code and last lines are the violation) and the run goes on. Exit code 1 on any
/// violation. With --duration the scenarios repeat until that much time has passed (a soak).
/// </summary>
public static class ChaosCommand
{
    public static async Task<int> RunAsync(Options options, TextWriter output, CancellationToken cancellationToken = default)
    {
        var scenarios = options["scenario"] is { } names
            ? names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Scenarios.Named).ToList()
            : [.. Scenarios.All]; // --all, the default
        var seed = options["seed"] is { } s ? int.TryParse(s, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--seed is '{s}': use a whole number") : 42;
        var sites = options["sites"] is { } c ? int.TryParse(c, CultureInfo.InvariantCulture, out var k) && k is >= 1 and <= 4 ? k
            : throw new UsageException($"--sites is '{c}': use 1 to 4") : 1;
        var duration = options.Duration("duration");
        var deadline = DateTimeOffset.UtcNow + (duration ?? TimeSpan.Zero);
        var logs = Path.Combine(Environment.CurrentDirectory, ".rtd", "chaos");
        output.WriteLine($"rtd-lab chaos: {scenarios.Count} scenarios, seed {seed}, {sites} site(s){(duration is { } d ? $", repeated for {d}" : "")}; logs under {logs}");
        output.WriteLine($"{"scenario",-26} {"result",6} {"lost",5} {"dup",5} {"unexp",5} {"stale",5} {"converged",9} {"failover",8} {"edits ok/refused/failed",23} {"rt rows",7} {"took",6}");

        ChaosSystem? shared = null;
        try
        {
            var results = await RunScenariosAsync(scenarios, deadline, output, async scenario =>
            {
                if (scenario.NeedsPrivateBroker)
                {
                    await using var node = await PrivateNode.StartAsync();
                    await using var system = await ChaosSystem.StartAsync(node.Endpoint, logs, sites, cancellationToken);
                    return await RunAsync(system, scenario, seed, cancellationToken);
                }
                if (scenario.NeedsCentralDatabaseCluster)
                {
                    return await ChaosSystem.OnCentralDatabaseClusterAsync(logs, sites, system => RunAsync(system, scenario, seed, cancellationToken),
                        cancellationToken);
                }
                shared ??= await ChaosSystem.StartAsync(BrokerEndpoint.Shared(), logs, sites, cancellationToken);
                ScenarioResult? result = null;
                try
                {
                    return result = await RunAsync(shared, scenario, seed, cancellationToken);
                }
                finally
                {
                    if (result is not { Verdict.Passed: true })
                    {
                        // failed, or a host did not start again: the next scenario starts from a system that works
                        await shared.DisposeAsync();
                        shared = null;
                    }
                }
            });
            return Summarize(output, results);
        }
        finally
        {
            if (shared is not null)
            {
                await shared.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="scenarios"/> in order (again and again until <paramref name="deadline"/>) and prints each
    /// result. A scenario whose host exits during start or never answers /health (at the system's start or at a restart)
    /// fails with the host's exit code and last lines of output, and the run goes on with the next scenario.
    /// </summary>
    public static async Task<List<ScenarioResult>> RunScenariosAsync(IReadOnlyList<Scenario> scenarios, DateTimeOffset deadline, TextWriter output,
        Func<Scenario, Task<ScenarioResult>> run)
    {
        var results = new List<ScenarioResult>();
        do
        {
            foreach (var scenario in scenarios)
            {
                var took = Stopwatch.StartNew();
                ScenarioResult result;
                try
                {
                    result = await run(scenario);
                }
                catch (HostStartException exception)
                {
                    result = ScenarioResult.Failed(scenario.Name, exception.Message, took.Elapsed);
                }
                results.Add(result);
                Print(output, result);
            }
        }
        while (DateTimeOffset.UtcNow < deadline);
        return results;
    }

    /// <summary>Prints which runs failed; the exit code, 1 when any did.</summary>
    public static int Summarize(TextWriter output, IReadOnlyList<ScenarioResult> results)
    {
        var failed = results.Count(r => !r.Verdict.Passed);
        output.WriteLine(failed == 0
            ? $"every scenario passed ({results.Count} runs)"
            : $"{failed} of {results.Count} runs failed: {string.Join(", ", results.Where(r => !r.Verdict.Passed).Select(r => r.Scenario).Distinct())}");
        return failed == 0 ? 0 : 1;
    }

    private static async Task<ScenarioResult> RunAsync(ChaosSystem system, Scenario scenario, int seed, CancellationToken cancellationToken)
    {
        await using var run = new ChaosRun(system, seed);
        return await run.RunAsync(scenario, TimeSpan.FromSeconds(3), cancellationToken);
    }

    private static void Print(TextWriter output, ScenarioResult r)
    {
        static string Seconds(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:0.0}s" : "-";
        var v = r.Verdict;
        output.WriteLine($"{r.Scenario,-26} {(v.Passed ? "PASS" : "FAIL"),6} {v.Lost,5} {v.Duplicated,5} {v.Unexpected,5} {v.Stale,5} {Seconds(r.Convergence),9} "
            + $"{Seconds(r.Failover),8} {$"{r.Edits}/{r.EditsRefused}/{r.EditsFailed}",23} {r.RealTimeRows,7} {Seconds(r.Took),6}");
        if (r.LastEditFailure is { } failure)
        {
            output.WriteLine($"    last edit refused or failed (a row already deleted; the center down): {failure}");
        }
        foreach (var violation in v.Violations)
        {
            output.WriteLine($"    {violation.Replace("\n", "\n      ", StringComparison.Ordinal)}");
        }
    }
}
