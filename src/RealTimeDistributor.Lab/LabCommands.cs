using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>`rtd-lab` verbs: the tools around the product (demo, fault matrix, WAN proxy, simulator, feed, benchmarks), apart from the operator's `rtd`.</summary>
public static class LabCommands
{
    public const string Usage = """
        rtd-lab: RealTimeDistributor demo, fault and load tools (the operator's commands: rtd)

          rtd-lab demo [--duration 30s] [--sites site-a,site-b]
              start the central controller, a distributor and a client per site (services must be up:
              infra/services-up.sh), feed them configuration changes, print a summary at the end
          rtd-lab wan proxy NAME --listen HOST:PORT --to HOST:PORT
          rtd-lab wan cut NAME [--mode reset|blackhole] | restore NAME | flap NAME | latency NAME MS | flaky NAME SECONDS|off | status NAME
              a WAN link for demos and fault tests: `proxy` forwards HOST:PORT to the target until stopped and is
              controlled by the other verbs (found through $RTD_WAN_DIR/NAME.json, default /tmp/rtd-wan); cut resets
              (or, blackhole, silently freezes) every connection until restore; flap resets them once; latency delays
              each byte by MS one way; flaky resets each connection after a random 1-2 x SECONDS (docs/operations.md)
          rtd-lab simulate --peripheral N [--central URL] [--seed 42] [--load 100] [--calls-per-second 0] [--interval 0.5s]
              a peripheral gateway of its own: the seeded simulation of peripheral N (read from the admin API,
              RTD_ADMIN_KEY) published on the activity exchange rtd.central.activity, as a real ACD's gateway would;
              one process per peripheral (docs/wire-format.md#activity-from-peripheral-gateways)
          rtd-lab feed record FILE [--duration 1h]
          rtd-lab feed replay FILE [--speed 10x]
              record: every peripheral event on rtd.central.activity to FILE, one JSON line each, until Ctrl-C;
              replay: sends FILE again, a new session per peripheral, its times moved to end now (--speed: faster)
          rtd-lab bench [all | NAME ...] [--quick] [--out bench/results]
              run the pipeline benchmarks with their baselines (dotnet run -c Release of
              bench/RealTimeDistributor.PipelineBenchmarks; services must be up) and write the report
              (<yyyy-MM-dd>.md and .json, -quick for --quick) to --out; NAME: config, commit, latency, ... (docs/benchmarks.md)
          rtd-lab chaos [--scenario NAME[,NAME] | --all] [--seed 42] [--duration 30m] [--sites 1]
              the fault matrix: runs the center, two distributor instances per site and two clients as processes on
              vhosts and databases of their own, drives a seeded edit load and real-time traffic, injects each scenario
              and checks replicas and client views against the center; prints lost / duplicated / unexpected / stale
              counts, convergence and failover times; exit code 1 on any violation; --duration repeats the scenarios
              (a soak). Scenarios and figures: docs/reliability.md
        """;

    public static Task<int> RunAsync(string[] args) => ToolRun.RunAsync("rtd-lab", Usage, () => args switch
    {
        ["demo", .. var rest] => Demo.RunAsync(Options.Parse(rest)),
        ["bench", .. var rest] => BenchCommand.RunAsync(rest),
        ["chaos", .. var rest] => Chaos.ChaosCommand.RunAsync(Options.Parse(rest.Where(a => a != "--all")), Console.Out),
        ["wan", .. var rest] => Wan.WanCommand.RunAsync(rest, Console.Out),
        ["simulate", .. var rest] => SimulateCommand.RunAsync(Options.Parse(rest)),
        ["feed", .. var rest] => FeedCommand.RunAsync(rest),
        ["help" or "--help" or "-h"] or [] => ToolRun.Help(Usage, 0),
        _ => ToolRun.Help(Usage, 64),
    });
}
