using System.Diagnostics;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>
/// `rtd-lab bench`: runs the pipeline benchmarks as their own process (`dotnet run -c Release` of the benchmark project in
/// the repository this rtd was built in, so no benchmark code ships in rtd) and has them write the report to --out
/// (default bench/results). Exit code: the benchmark process's (1 when a benchmark failed), 2 for an unknown name.
/// </summary>
internal static class BenchCommand
{
    public const string Project = "bench/RealTimeDistributor.PipelineBenchmarks";

    public static async Task<int> RunAsync(Options options)
    {
        var quick = options.Flag("quick");
        var root = Repository.Root()
            ?? throw new CommandFailedException("rtd-lab bench runs the benchmark project of its repository: use an rtd-lab built in the repository");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root };
        string[] arguments = ["run", "-c", "Release", "--project", Project, "--", .. options.Positional, .. quick ? ["--quick"] : Array.Empty<string>(),
            "--report", Path.GetFullPath(options["out"] ?? Path.Combine(root, "bench", "results"))];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Console.WriteLine($"rtd-lab bench: dotnet {string.Join(' ', arguments)}");
        using var process = Process.Start(start) ?? throw new CommandFailedException("could not start dotnet");
        await process.WaitForExitAsync();
        return process.ExitCode == 64 ? ExitCodes.Usage : process.ExitCode; // its "unknown benchmark" is bad input, as rtd-lab's
    }
}
