using RealTimeDistributor.PipelineBenchmarks;

// dotnet run -c Release --project bench/RealTimeDistributor.PipelineBenchmarks -- [all|config|commit|import|latency|realtime|snapshot|rebuild] [--quick]
var mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
var quick = args.Contains("--quick");
var report = new Report();
if (mode is "all" or "config")
{
    await ConfigBenchmark.RunAsync(report, quick ? 2_000 : 20_000);
}
if (mode is "all" or "commit")
{
    await CommitBenchmark.RunAsync(report, quick ? 300 : 1_000, [1, 4, 8]);
}
if (mode is "all" or "import")
{
    await ImportBenchmark.RunAsync(report, quick ? 1_200 : 12_000);
}
if (mode is "all" or "latency")
{
    // the low rate first: its percentiles are the baseline of the ratios
    await LatencyBenchmark.RunAsync(report, quick ? [(10, 5, 1), (1_000, 5, 10)] : [(10, 20, 1), (100, 20, 1), (1_000, 20, 1), (1_000, 20, 10)]);
    await LatencyBenchmark.RealTimeAsync(report, quick ? [(10, 5), (1_000, 5)] : [(10, 20), (1_000, 20)]);
}
if (mode is "all" or "realtime")
{
    await RealTimeBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000], rounds: quick ? 1 : 3);
}
if (mode is "all" or "snapshot")
{
    await SnapshotBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000]);
}
if (mode is "all" or "rebuild")
{
    await RebuildBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000]);
}
report.Print();
