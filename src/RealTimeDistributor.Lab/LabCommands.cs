using System.CommandLine;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;
using static RealTimeDistributor.Tools.CliApp;

namespace RealTimeDistributor.Lab;

/// <summary>`rtd-lab`: the tools around the product (demo, fault matrix, WAN proxy, simulator, feed, benchmarks), apart from the operator's `rtd`.</summary>
public static class LabCommands
{
    public static Task<int> RunAsync(string[] args) => CliApp.RunAsync(Root(), args,
        exception => exception is HostStartException ? (ExitCodes.Failed, exception.Message) : null);

    public static RootCommand Root() => new("rtd-lab: RealTimeDistributor demo, fault and load tools (the operator's commands: rtd). "
        + "Exit codes as rtd's (README.md#exit-codes).")
    {
        Command("demo", "start the central controller, a distributor and a client per site (services must be up: infra/services-up.sh), "
            + "load a contact center, feed it configuration changes and live statistics, print a summary at the end", Demo.RunAsync,
            Value("duration", "AGE", "stop after this long, e.g. 30s (default: until Ctrl-C)"),
            Value("sites", "N|site-a,site-b", "a number of sites (1 to 50) or their names (default $RTD_SITES, else site-a,site-b)"),
            Value("agents", "N", $"agents of the demo's contact center, spread over the sites (default {DemoCenter.DefaultAgents})")),
        Wan(),
        Command("simulate", "a peripheral gateway of its own: the seeded simulation of peripheral N (read from the admin API, RTD_ADMIN_KEY) "
            + "published on the activity exchange rtd.central.activity, as a real ACD's gateway would "
            + "(docs/wire-format.md#activity-from-peripheral-gateways); broker login $RTD_RABBITMQ_USER / $RTD_RABBITMQ_PASSWORD: "
            + "the peripheral's gateway user rtd-peripheral-N-gateway ($RTD_RABBITMQ_GATEWAY_PASSWORD)", SimulateCommand.RunAsync,
            Value("peripheral", "N", "a configured peripheral's id (required)"),
            Value("central", "URL", "the central controller's admin API (default http://127.0.0.1:5080)"),
            Value("seed", "N", "the simulation's seed (default 42)"), Value("load", "N", "the load, in percent (default 100)"),
            Value("calls-per-second", "N", "calls per second (default 0: from the load)"),
            Value("interval", "AGE", "how often statistics are sent (default 0.5s)"),
            Value("config-refresh", "AGE", "how often the configuration is read again (default 30s)")),
        Group("feed", "record and replay the peripheral events of the activity exchange (broker login $RTD_RABBITMQ_USER / "
            + "$RTD_RABBITMQ_PASSWORD: the administrator's, $RTD_RABBITMQ_ADMIN_USER / _PASSWORD; no other role may read and write every peripheral's)",
            Command("record", "every peripheral event on rtd.central.activity to FILE, one JSON line each, until Ctrl-C", FeedCommand.RunAsync,
                Word("file", "the file to write"), Value("duration", "AGE", "stop after this long, e.g. 1h")),
            Command("replay", "send FILE again, a new session per peripheral, its times moved to end now", FeedCommand.RunAsync,
                Word("file", "a file written by feed record"), Value("speed", "FACTOR", "faster, e.g. 10x (default 1x)"))),
        Command("bench", "run the pipeline benchmarks with their baselines (bench/RealTimeDistributor.PipelineBenchmarks, built once in rtd-lab's "
            + "configuration; services must be up; as the broker's admin user $RTD_RABBITMQ_ADMIN_USER / _PASSWORD and the database user "
            + "$RTD_POSTGRES_USER / _PASSWORD: source infra/env.sh) and write the report (<yyyy-MM-dd>.md and .json, -quick for --quick); "
            + "docs/benchmarks.md", BenchCommand.RunAsync,
            Words("name", "benchmarks to run: all (default), config, commit, latency, ..."),
            Flag("quick", "fewer and shorter runs"), Value("out", "DIR", "where the report goes (default bench/results)")),
        Command("chaos", "the fault matrix: the center, two distributor instances per site and two clients as processes on vhosts and databases "
            + "of their own, a seeded edit load and real-time traffic; injects each scenario and checks replicas and client views against the "
            + "center; exit code 1 on any violation (docs/reliability.md)", options => Chaos.ChaosCommand.RunAsync(options, Console.Out),
            Value("scenario", "NAME[,NAME]", "the scenarios to run (default: all)"), Flag("all", "every scenario (the default)"),
            Value("seed", "N", "the seed (default 42)"), Value("duration", "AGE", "repeat the scenarios this long (a soak), e.g. 30m"),
            Value("sites", "N", "sites, 1 to 4 (default 1)")),
    };

    private static Argument<string> Name() => Word("name", "the link's name");

    private static Command Wan() => Group("wan",
        "a WAN link for demos and fault tests: `proxy` forwards HOST:PORT to the target until stopped and is controlled by the other verbs "
        + "(found through $RTD_WAN_DIR/NAME.json, default /tmp/rtd-wan); docs/operations.md",
        Command("proxy", "forward --listen to --to until stopped", WanAsync, Name(),
            Value("listen", "HOST:PORT", "where to listen (required)"), Value("to", "HOST:PORT", "the target (required)")),
        Command("cut", "reset (or, blackhole, silently freeze) every connection until restore", WanAsync, Name(),
            Value("mode", "reset|blackhole", "default reset")),
        Command("restore", "end a cut", WanAsync, Name()),
        Command("flap", "reset every connection once", WanAsync, Name()),
        Command("latency", "delay each byte by MS one way", WanAsync, Name(), Word("ms", "milliseconds, 0 for none")),
        Command("flaky", "reset each connection after a random 1-2 x SECONDS", WanAsync, Name(), Word("seconds", "SECONDS, or off")),
        Command("status", "print the link's state", WanAsync, Name()));

    private static Task<int> WanAsync(Options options) => RealTimeDistributor.Lab.Wan.WanCommand.RunAsync(options, Console.Out);
}
