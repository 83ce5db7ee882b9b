namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>A benchmark of the run: its name on the command line, and how it measures at full or at quick load.</summary>
public sealed record Benchmark(string Name, Func<Report, bool, Task> RunAsync);

/// <summary>Every benchmark `rtd-lab bench` runs, in this order. Adding one is one line here (docs/benchmarks.md says what it measures).</summary>
public static class Benchmarks
{
    public static readonly Benchmark[] All =
    [
        new("config", (report, quick) => ConfigBenchmark.RunAsync(report, quick ? 2_000 : 20_000)),
        new("commit", (report, quick) => CommitBenchmark.RunAsync(report, quick ? 300 : 1_000, [1, 4, 8])),
        new("import", (report, quick) => ImportBenchmark.RunAsync(report, quick ? 1_200 : 12_000)),
        // the low rate first: its percentiles are the baseline of the ratios
        new("latency", (report, quick) => LatencyBenchmark.RunAsync(report,
            quick ? [(10, 5, 1), (1_000, 5, 10)] : [(10, 20, 1), (100, 20, 1), (1_000, 20, 1), (1_000, 20, 10)])),
        new("rtlatency", (report, quick) => LatencyBenchmark.RealTimeAsync(report, quick ? [(10, 5), (1_000, 5)] : [(10, 20), (1_000, 20)])),
        new("publish", (report, quick) => PublishBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000], TimeSpan.FromSeconds(quick ? 2 : 5))),
        new("realtime", (report, quick) => RealTimeBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000], rounds: quick ? 1 : 3)),
        new("snapshot", (report, quick) => SnapshotBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000])),
        // issue 14: a site's WAN link cut under 1,000 changes/s + real-time, own stack vs one broker
        new("wan", (report, quick) => WanBenchmark.RunAsync(report, TimeSpan.FromSeconds(quick ? 10 : 60))),
        // issue 14: the WAN transport, a consumer across the link vs a shovel or a federated queue into the site broker
        new("wantransport", (report, quick) => WanTransportBenchmark.RunAsync(report, quick ? 10_000 : 60_000)),
        // issue 16: a 12,000-agent center's peripheral events into published rows, over AMQP and HTTP, against a raw consume
        new("ingest", (report, quick) => IngestBenchmark.RunAsync(report, 12_000, quick ? 10_000 : 50_000)),
        // issue 22: the last hop, a queue per workstation (today, the baseline) vs one stream per site, at the site stream's
        // measured change rates (95 and 209 rows/s at 12,000 and 24,000 agents), then a broker restart, on a private node
        new("fanout", (report, quick) => FanoutBenchmark.RunAsync(report, quick
            ? new([(12_000, 95)], [1, 50], TimeSpan.FromSeconds(8), 50)
            : new([(12_000, 95), (24_000, 209)], [1, 50, 200], TimeSpan.FromSeconds(30), 200))),
        // issue 22: the browsers of that last hop, GET /events from 100, 500 and 2,000 browsers (10 % stalled) over real
        // client processes of a live 12,000-agent center, then 200 snapshot requests at once (docs/benchmarks.md, `fanout-browsers`)
        new("fanout-browsers", (report, quick) => BrowsersBenchmark.RunAsync(report, BrowsersBenchmark.OptionsOf(quick))),
        // issue 22: the client's GET /events write path alone, in one process (no broker): main's writer before the change vs the client's
        new("wallboard-write", (report, quick) => WallboardWriteBenchmark.RunAsync(report, quick
            ? new(50_000, 400, [100, 500], TimeSpan.FromSeconds(10), 1)
            : new(50_000, 400, [100, 500], TimeSpan.FromSeconds(20), 2))),
        // issue 22: fanout-browsers' snapshot step alone (many workstations ask the distributor for the site's snapshot at once)
        new("snapshot-burst", (report, quick) => SnapshotBurstBenchmark.RunAsync(report, quick ? new(2_400, 200, 2) : new(12_000, 200, 2))),
        // issue 22: real client processes after a restart and a crash of their site's broker (a private node), MassTransit's reconnect
        // policy vs the product's jittered one: time until all are fresh (RTD_BENCH_RESTART_CLIENTS: client counts)
        new("restart-clients", (report, quick) => ClientRestartBenchmark.RunAsync(report, ClientRestartBenchmark.ClientCounts(quick))),
        // issue 22's goal in one run: a live center, its site on a private node, workstations, browsers (10 % stalled), a broker restart
        new("goal", (report, quick) => GoalBenchmark.RunAsync(report, GoalBenchmark.Options.Sized(quick
            ? new(2_400, 20, 20, 200, 2, TimeSpan.FromSeconds(20), 15) : new(24_000, 80, 200, 2_000, 3, TimeSpan.FromSeconds(90), 30)))),
        new("rebuild", (report, quick) => RebuildBenchmark.RunAsync(report, quick ? [10_000] : [10_000, 100_000])),
        // a 12,000-agent center: 1 workstation queue, the knee of the call rate, then 200 workstations; then a 24,000-agent one
        new("scale", async (report, quick) =>
        {
            await ScaleBenchmark.RunAsync(report, quick
                ? new(12_000, 40, 1, 20, TimeSpan.FromSeconds(20), 15, [])
                : new(12_000, 40, 1, 200, TimeSpan.FromSeconds(35), 30, [160, 640, 2_560]));
            if (!quick)
            {
                await ScaleBenchmark.RunAsync(report, new(24_000, 80, 1, 0, TimeSpan.FromSeconds(35), 30, []));
            }
        }),
    ];
}
