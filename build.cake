// Build targets: Build, Format, Test (format check + all tests), Demo. Run with `dotnet tool restore && dotnet cake --target=Test`.
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var duration = Argument("duration", "30s");
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
    foreach (var project in new[] { "./tests/RealTimeDistributor.Tests", "./tests/RealTimeDistributor.IntegrationTests" })
    {
        DotNetTest(project, new DotNetTestSettings
        {
            Configuration = configuration,
            NoBuild = true,
            Loggers = new[] { "console;verbosity=normal" },
        });
    }
});

Task("Demo")
    .IsDependentOn("Build")
    .Does(() =>
{
    var exit = StartProcess("dotnet", new ProcessSettings
    {
        Arguments = $"src/RealTimeDistributor.Cli/bin/{configuration}/net10.0/rtd.dll demo --duration {duration}",
    });
    if (exit != 0)
    {
        throw new Exception($"rtd demo exited with {exit}");
    }
});

RunTarget(target);
