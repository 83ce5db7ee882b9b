namespace RealTimeDistributor.Cli;

/// <summary>`rtd` verbs. Small hand-rolled parsing: every verb says what it takes when called wrong.</summary>
public static class Commands
{
    public const string Usage = """
        rtd: RealTimeDistributor operator tools

          rtd demo [--duration 30s] [--sites site-a,site-b]
              start the central controller, a distributor and a client per site (services must be up:
              infra/services-up.sh), feed them configuration changes, print a summary at the end
          rtd config list <table> [--json] [--central URL]
          rtd config get <table> <id> [--central URL]
          rtd config put <table> <id> '<json row>' [--if-match VERSION] [--central URL]
          rtd config delete <table> <id> [--if-match VERSION] [--central URL]
              edit the central configuration through the admin API (default http://127.0.0.1:5080); list prints id,
              version and name per row (--json: the API's JSON); exit code 3 when the admin API is unreachable; tables: peripheral, skillgroup, agent, skillgroupmember, calltype, service, routingscript
          rtd config export [--table agent,skillgroup] [--format csv|json] [--out FILE|DIR] [--central URL]
          rtd config import FILE|DIR [--dry-run] [--batch-size 5000] [--central URL]
              bulk configuration: export writes the tables as JSON (an object per table) or CSV (one file per
              table, DIR/<table>.csv); import compares the file with the center, prints new / changed / unchanged /
              deleted rows (rows with op=delete), and sends only the differences through POST /api/config/batch,
              each batch all or nothing; --dry-run prints and writes nothing (docs/operations.md#bulk-configuration)
          rtd status [--sites site-a,site-b=http://host:5082] [--central URL] [--max-behind N] [--max-realtime-age 60s]
                     [--management http://host:15672] [--user U --password P] [--central-vhost rtd-central]
              per site: config sequence at the center vs applied at the site, queue depths/consumers, error
              messages, connected clients, the active distributor instance, real-time age per table; exit code 1
              when a site is more than N changes behind (default 0), its real-time data is older than the given age,
              or it is unreachable. Management API user: RTD_RABBITMQ_OPERATOR_USER / _PASSWORD (default rtd-operator)
          rtd errors list [--vhosts rtd-central,rtd-site-a] [--queue QUEUE_error [--vhost V] [--count 20]]
          rtd errors replay --queue QUEUE_error [--vhost V] [--count N]
                     [--management http://host:15672] [--host H --port 5672] [--user U --password P]
              list: every _error/_skipped queue of the vhosts (default rtd-central and the RTD_SITES vhosts) with its
              depth; with --queue, each message's id, sequence and reason, left in the queue. replay: moves messages
              back to the queue they came from (publish with confirm, then ack; nothing lost if interrupted).
              User: RTD_RABBITMQ_ADMIN_USER / _PASSWORD (default rtd-admin; the operator user may not read messages)
          rtd client --site SITE [--workstation WS] [--bind 'skillgroup.*,agent.1001'] [--table agent] [--json] [--once]
                     [--stale-after 45s] [--url http://127.0.0.1:5095]
              a client workstation in the terminal: loads the site snapshot, follows the stream and redraws in place
              a summary per skill group and call type that fits the terminal (--table T: that table, a column per
              field); Ctrl-C or SIGTERM stops; --json streams the view's changes as JSON lines (logs go to stderr);
              --once prints the current snapshot and exits; the web wallboard is served on --url meanwhile. Without
              --workstation (or with --once) its queues are exclusive and auto-delete: nothing is left behind.
              Broker user: the workstation's own (--workstation, else RTD_WORKSTATION): rtd-SITE-ws-WS, password
              RTD_RABBITMQ_WORKSTATION_PASSWORD (RTD_RABBITMQ_WORKSTATION_USER overrides the user)
          rtd workstation add SITE WS [--workstation-password P] | remove SITE WS | list [SITE]
                     [--management http://host:15672] [--user U --password P]
              a workstation's own broker credential (user rtd-SITE-ws-WS, rights on its own names only, the lines of
              infra/rabbitmq/roles.conf): add prints a new random password (unless given), remove deletes the user and
              closes its connections. User: RTD_RABBITMQ_ADMIN_USER / _PASSWORD (docs/security.md#workstation-credentials)
          rtd wan proxy NAME --listen HOST:PORT --to HOST:PORT
          rtd wan cut NAME [--mode reset|blackhole] | restore NAME | flap NAME | latency NAME MS | flaky NAME SECONDS|off | status NAME
              a WAN link for demos and fault tests: `proxy` forwards HOST:PORT to the target until stopped and is
              controlled by the other verbs (found through $RTD_WAN_DIR/NAME.json, default /tmp/rtd-wan); cut resets
              (or, blackhole, silently freezes) every connection until restore; flap resets them once; latency delays
              each byte by MS one way; flaky resets each connection after a random 1-2 x SECONDS (docs/operations.md)
          rtd simulate --peripheral N [--central URL] [--seed 42] [--load 100] [--calls-per-second 0] [--interval 0.5s]
              a peripheral gateway of its own: the seeded simulation of peripheral N (read from the admin API,
              RTD_ADMIN_KEY) published on the activity exchange rtd.central.activity, as a real ACD's gateway would;
              one process per peripheral (docs/wire-format.md#activity-from-peripheral-gateways)
          rtd feed record FILE [--duration 1h]
          rtd feed replay FILE [--speed 10x]
              record: every peripheral event on rtd.central.activity to FILE, one JSON line each, until Ctrl-C;
              replay: sends FILE again, a new session per peripheral, its times moved to end now (--speed: faster)
          rtd bench [all | NAME ...] [--quick] [--out bench/results]
              run the pipeline benchmarks with their baselines (dotnet run -c Release of
              bench/RealTimeDistributor.PipelineBenchmarks; services must be up) and write the report
              (<yyyy-MM-dd>.md and .json, -quick for --quick) to --out; NAME: config, commit, latency, ... (docs/benchmarks.md)
          rtd chaos [--scenario NAME[,NAME] | --all] [--seed 42] [--duration 30m] [--sites 1]
              the fault matrix: runs the center, two distributor instances per site and two clients as processes on
              vhosts and databases of their own, drives a seeded edit load and real-time traffic, injects each scenario
              and checks replicas and client views against the center; prints lost / duplicated / unexpected / stale
              counts, convergence and failover times; exit code 1 on any violation; --duration repeats the scenarios
              (a soak). Scenarios and figures: docs/reliability.md
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            return args switch
            {
                ["demo", .. var rest] => await Demo.RunAsync(Options.Parse(rest)),
                ["config", .. var rest] => await ConfigCommand.RunAsync(rest),
                ["status", .. var rest] => await StatusCommand.RunAsync(Options.Parse(rest), Console.Out),
                ["errors", .. var rest] => await ErrorsCommand.RunAsync(rest, Console.Out),
                ["client", .. var rest] => await ClientCommand.RunAsync(Options.Parse(rest.Where(a => a is not ("--json" or "--once"))),
                    json: rest.Contains("--json"), once: rest.Contains("--once")),
                ["bench", .. var rest] => await BenchCommand.RunAsync(rest),
                ["chaos", .. var rest] => await Chaos.ChaosCommand.RunAsync(Options.Parse(rest.Where(a => a != "--all")), Console.Out),
                ["wan", .. var rest] => await Wan.WanCommand.RunAsync(rest, Console.Out),
                ["workstation", .. var rest] => await WorkstationCommand.RunAsync(rest, Console.Out),
                ["simulate", .. var rest] => await SimulateCommand.RunAsync(Options.Parse(rest)),
                ["feed", .. var rest] => await FeedCommand.RunAsync(rest),
                ["help" or "--help" or "-h"] or [] => Help(0),
                _ => Help(64),
            };
        }
        catch (UsageException exception)
        {
            Console.Error.WriteLine($"rtd: {exception.Message}");
            Console.Error.WriteLine(Usage);
            return 64;
        }
        catch (CommandFailedException exception)
        {
            Console.Error.WriteLine($"rtd: {exception.Message}");
            return 1;
        }
        catch (HostStartException exception)
        {
            Console.Error.WriteLine($"rtd: {exception.Message}");
            return 1;
        }
        catch (UnreachableException exception)
        {
            Console.Error.WriteLine($"rtd: {exception.Message}");
            return 3;
        }
    }

    private static int Help(int code)
    {
        (code == 0 ? Console.Out : Console.Error).WriteLine(Usage);
        return code;
    }
}

public sealed class UsageException(string message) : Exception(message);

/// <summary>A command that cannot do its job (a service refuses or is missing): one line naming it, exit code 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);

/// <summary>A service the command needs does not answer: one line naming it, exit code 3 (as a host that cannot reach one).</summary>
public sealed class UnreachableException(string message) : Exception(message);

/// <summary>"--name value" pairs and positional words.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _named = [];

    public List<string> Positional { get; } = [];

    /// <summary>--json, a flag without a value, when the verb takes it.</summary>
    public bool Json { get; private init; }

    public static Options Parse(IEnumerable<string> args, bool json = false)
    {
        var options = new Options { Json = json };
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            if (e.Current.StartsWith("--", StringComparison.Ordinal))
            {
                var name = e.Current[2..];
                options._named[name] = e.MoveNext() ? e.Current : throw new UsageException($"--{name} needs a value");
            }
            else
            {
                options.Positional.Add(e.Current);
            }
        }
        return options;
    }

    public string? this[string name] => _named.GetValueOrDefault(name);

    public TimeSpan? Duration(string name)
    {
        var raw = this[name];
        if (raw is null)
        {
            return null;
        }
        var unit = raw[^1];
        if (double.TryParse(raw[..^1], System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (unit)
            {
                case 's':
                    return TimeSpan.FromSeconds(n);
                case 'm':
                    return TimeSpan.FromMinutes(n);
                case 'h':
                    return TimeSpan.FromHours(n);
            }
        }
        throw new UsageException($"--{name} is '{raw}': use a number and a unit, such as 30s, 5m or 1h");
    }
}
