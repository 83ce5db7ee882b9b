using RealTimeDistributor.PipelineBenchmarks;

// dotnet run -c Release --project bench/RealTimeDistributor.PipelineBenchmarks -- [all | NAME ...] [--quick] [--report DIR]
// (or `rtd-lab bench`, which writes the report to bench/results). NAME: see Benchmarks.All.
var names = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal) && a != Option("--report")).ToList();
var quick = args.Contains("--quick");
if (names.Where(n => n != "all" && !Benchmarks.All.Any(b => b.Name == n)).ToList() is [_, ..] unknown)
{
    Console.Error.WriteLine($"unknown benchmark {string.Join(", ", unknown)}; usage: [all | {string.Join(" | ", Benchmarks.All.Select(b => b.Name))} ...] [--quick] [--report DIR]");
    return 64;
}
var selected = names is [] || names.Contains("all") ? Benchmarks.All : Benchmarks.All.Where(b => names.Contains(b.Name)).ToArray();
var report = new Report();
var failed = 0;
foreach (var benchmark in selected)
{
    failed += await report.RunAsync(benchmark.Name, () => benchmark.RunAsync(report, quick)) ? 0 : 1;
}
report.Print();
if (Option("--report") is { } folder)
{
    Console.WriteLine($"report: {await report.WriteAsync(folder, quick)} (and .json)");
}
return failed == 0 ? 0 : 1;

string? Option(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}
