using RealTimeDistributor.PipelineBenchmarks;

// dotnet run -c Release --project bench/RealTimeDistributor.PipelineBenchmarks -- [all|config|realtime|rebuild] [--quick]
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var quick = args.Contains("--quick");
var report = new Report();
if (mode is "all" or "config")
{
    await ConfigBenchmark.RunAsync(report, quick ? 2_000 : 20_000);
}
if (mode is "all" or "realtime")
{
    await RealTimeBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000]);
}
if (mode is "all" or "rebuild")
{
    await RebuildBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000]);
}
report.Print();
