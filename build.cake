using System.Xml.Linq;
// Build targets: Build, Format, Test (format check + all tests), Demo, Bench (`--quick` for the smaller load). Run with `dotnet tool restore && dotnet cake --target=Test`.
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var duration = Argument("duration", "30s");
var quick = HasArgument("quick");
var solution = "./RealTimeDistributor.sln";

Task("Build")
    .Does(() =>
{
    DotNetBuild(solution, new DotNetBuildSettings { Configuration = configuration });
});

Task("Format")
    .Does(() =>
{
    // dotnet format --verify-no-changes: style drift fails the build
    var exit = StartProcess("dotnet", new ProcessSettings { Arguments = $"format {solution} --verify-no-changes --no-restore" });
    if (exit != 0)
    {
        throw new Exception("dotnet format found changes to make: run `dotnet format RealTimeDistributor.sln` and commit them");
    }
});

Task("Test")
    .IsDependentOn("Build")
    .IsDependentOn("Format")
    .Does(() =>
{
    var results = MakeAbsolute(Directory("./artifacts/test-results"));
    CleanDirectory(results);
    foreach (var project in new[] { "./tests/RealTimeDistributor.Tests", "./tests/RealTimeDistributor.IntegrationTests" })
    {
        try
        {
            DotNetTest(project, new DotNetTestSettings
            {
                Configuration = configuration,
                NoBuild = true,
                ResultsDirectory = results,
                Loggers = new[] { "console;verbosity=normal", "trx" },
            });
        }
        finally
        {
            // the console log of the real-service tests is long: repeat what failed at the very end, where CI shows it
            PrintFailures(results);
        }
    }
});

void PrintFailures(DirectoryPath results)
{
    XNamespace ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";
    foreach (var trx in GetFiles($"{results}/*.trx"))
    {
        foreach (var failed in XDocument.Load(trx.FullPath).Descendants(ns + "UnitTestResult")
            .Where(r => (string)r.Attribute("outcome") == "Failed"))
        {
            var message = (string)failed.Descendants(ns + "Message").FirstOrDefault() ?? "";
            var stack = (string)failed.Descendants(ns + "StackTrace").FirstOrDefault() ?? "";
            Error($"FAILED {failed.Attribute("testName")?.Value}\n{message}\n{string.Join("\n", stack.Split('\n').Take(8))}");
        }
    }
}

Task("Demo")
    .IsDependentOn("Build")
    .Does(() =>
{
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"src/RealTimeDistributor.Lab/bin/{configuration}/net10.0/rtd-lab.dll demo --duration {duration}",
    });
    if (exit != 0)
    {
        throw new Exception($"rtd-lab demo exited with {exit}");
    }
});

// the pipeline benchmarks and their baselines in one run; the report goes to bench/results (docs/benchmarks.md)
Task("Bench")
    .IsDependentOn("Build")
    .Does(() =>
{
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"src/RealTimeDistributor.Lab/bin/{configuration}/net10.0/rtd-lab.dll bench{(quick ? " --quick" : "")}",
    });
    if (exit != 0)
    {
        throw new Exception($"rtd-lab bench exited with {exit}");
    }
});

RunTarget(target);
