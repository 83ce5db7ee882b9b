using System.Text.RegularExpressions;
using RealTimeDistributor.Cli;
using RealTimeDistributor.Tools;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>
/// `rtd status` run in-process, the way an operator's monitoring script reads it: its exit code and its text. Here, not in
/// Support: it uses xunit, and the benchmarks compile Support's files too.
/// </summary>
public static class StatusRuns
{
    /// <summary>
    /// Runs `rtd status` with <paramref name="args"/> until it exits with <paramref name="expectedExit"/> and its output
    /// matches every pattern, or <paramref name="within"/> has passed, then prints and asserts them (so a timeout names
    /// what did not match); its output. The figures come from the management API, which refreshes each queue's counters
    /// and consumer details at its own statistics emission, so one run can show a mix of moments.
    /// </summary>
    public static async Task<string> UntilAsync(ITestOutputHelper output, string[] args, int expectedExit, TimeSpan within, params string[] patterns)
    {
        var deadline = DateTime.UtcNow + within;
        var (code, text) = await RunAsync(args);
        while ((code != expectedExit || !patterns.All(p => Regex.IsMatch(text, p))) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
            (code, text) = await RunAsync(args);
        }
        output.WriteLine($"rtd status -> exit {code}");
        output.WriteLine(text);
        Assert.Equal(expectedExit, code);
        Assert.All(patterns, p => Assert.Matches(p, text));
        return text;
    }

    private static async Task<(int Code, string Text)> RunAsync(string[] args)
    {
        using var writer = new StringWriter();
        var code = await StatusCommand.RunAsync(Options.Parse(args), writer);
        return (code, writer.ToString());
    }
}
