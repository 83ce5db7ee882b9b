using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>`rtd` verbs. Small hand-rolled parsing: every verb says what it takes when called wrong.</summary>
public static class Commands
{
    public const string Usage = """
        rtd: RealTimeDistributor operator tools (the demo, chaos runner, WAN proxy, simulator, feed and benchmarks: rtd-lab)

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
        """;

    public static Task<int> RunAsync(string[] args) => ToolRun.RunAsync("rtd", Usage, () => args switch
    {
        ["config", .. var rest] => ConfigCommand.RunAsync(rest),
        ["status", .. var rest] => StatusCommand.RunAsync(Options.Parse(rest), Console.Out),
        ["errors", .. var rest] => ErrorsCommand.RunAsync(rest, Console.Out),
        ["client", .. var rest] => ClientCommand.RunAsync(Options.Parse(rest.Where(a => a is not ("--json" or "--once"))),
            json: rest.Contains("--json"), once: rest.Contains("--once")),
        ["workstation", .. var rest] => WorkstationCommand.RunAsync(rest, Console.Out),
        ["help" or "--help" or "-h"] or [] => ToolRun.Help(Usage, 0),
        _ => ToolRun.Help(Usage, 64),
    });
}
