using System.CommandLine;
using RealTimeDistributor.Tools;
using static RealTimeDistributor.Tools.CliApp;

namespace RealTimeDistributor.Cli;

/// <summary>`rtd`: the operator's commands on System.CommandLine: `rtd --help`, `rtd COMMAND --help`, `rtd COMMAND VERB --help`.</summary>
public static class Commands
{
    private static readonly string Tables = string.Join(", ", RealTimeDistributor.Data.Configuration.ConfigTables.All.Select(t => t.Name));

    public static Task<int> RunAsync(string[] args) => CliApp.RunAsync(Root(), args);

    public static RootCommand Root()
    {
        var root = new RootCommand("rtd: RealTimeDistributor operator tools (the demo, fault and load tools: rtd-lab). Exit codes: 0 done, "
            + "1 a problem found or a request refused, 2 bad input, 3 a service does not answer, 4 a login refused (README.md#exit-codes).")
        {
            Config(), Status(), Errors(), Client(), Workstation(),
        };
        return root;
    }

    private static Option<string> Central() => Value("central", "URL", "the central controller's admin API (default http://127.0.0.1:5080)");

    private static Option<string> IfMatch() => Value("if-match", "VERSION", "change the row only if its version is still this one (the version read)");

    private static Option<string> Management() => Value("management", "URL", "the RabbitMQ management API (default http://$RTD_RABBITMQ_HOST:15672)");

    private static Command Config() => Group("config",
        "edit the central configuration through the admin API (key: RTD_ADMIN_KEY); tables: " + Tables,
        Command("list", "print id, version and name per row, then the other fields", ConfigCommand.RunAsync,
            Word("table", Tables), Flag("json", "print the API's JSON"), Central()),
        Command("get", "print one row as JSON", ConfigCommand.RunAsync, Word("table", Tables), Word("id", "the row's id"), Central()),
        Command("add", "create a row; without \"id\" in the JSON the center gives it the next free id (printed with the row)", ConfigCommand.RunAsync,
            Word("table", Tables), Word("json", "the row as JSON, e.g. '{\"agentId\":7,\"skillGroupId\":3}'"), Central()),
        Command("put", "create or replace a row", ConfigCommand.RunAsync, Word("table", Tables), Word("id", "the row's id"),
            Word("json", "the row as JSON, e.g. '{\"name\":\"Sales\",\"peripheralId\":1}'"), IfMatch(),
            Flag("force", "replace an existing row without --if-match"), Central()),
        Command("delete", "delete a row", ConfigCommand.RunAsync, Word("table", Tables), Word("id", "the row's id"), IfMatch(),
            Flag("force", "delete without --if-match"), Central()),
        Command("export", "write the tables as JSON (an object per table) or CSV (one file per table, DIR/<table>.csv)", ConfigCommand.RunAsync,
            Value("table", "T,U", "only these tables (default: all)"), Value("format", "csv|json", "default json, or csv for --out *.csv or a directory"),
            Value("out", "FILE|DIR", "write here instead of standard output"), Central()),
        Command("import", "compare the file with the center, print new / changed / unchanged / deleted rows (op=delete) and send only the "
            + "differences through POST /api/config/batch, each batch all or nothing (docs/operations.md#bulk-configuration)", ConfigCommand.RunAsync,
            Word("path", "FILE (JSON or CSV) or DIR of <table>.csv"), Flag("dry-run", "print the differences, write nothing"),
            Value("batch-size", "N", "changes per batch, 1 to 10000 (default 5000)"), Central()));

    private static Command Status() => Command("status",
        "per site: config sequence at the center vs applied at the site, queue depths/consumers, error messages, connected clients, the "
        + "active distributor instance, real-time age per table; exit code 1 when a site is more than --max-behind changes behind, its "
        + "real-time data is older than --max-realtime-age, more than --max-backlog messages wait in one of its central queues, an error "
        + "queue holds messages, or it or the center cannot be asked; 4 when the management API refuses the login",
        options => StatusCommand.RunAsync(options, Console.Out),
        Value("sites", "site-a,site-b=http://host:5082", "the sites and their distributors (default $RTD_SITES, distributors on 5081..)"),
        Central(), Value("max-behind", "N", "changes a site may be behind (default 0)"),
        Value("max-realtime-age", "AGE", "real-time data older than this, e.g. 60s, is stale (default: off)"),
        Value("max-backlog", "N", "messages ready in a site's central queue beyond which it has a backlog (default 1000)"), Management(),
        Value("user", "USER", "management API user (default $RTD_RABBITMQ_OPERATOR_USER, rtd-operator)"),
        Value("password", "PASSWORD", "its password (default $RTD_RABBITMQ_OPERATOR_PASSWORD)"),
        Value("central-vhost", "VHOST", "the central vhost (default rtd-central)"));

    private static Symbol[] ErrorsOptions(bool list) =>
    [
        .. list ? [Value("vhosts", "V,W", "the vhosts to list (default rtd-central and one per $RTD_SITES site)")] : Array.Empty<Symbol>(),
        Value("queue", "QUEUE_error", list ? "list the messages of this parking queue (left in the queue)" : "the parking queue to replay"),
        Value("vhost", "VHOST", "the queue's vhost (default: the one vhost that holds it)"),
        Value("count", "N", list ? "messages to show (default 20)" : "messages to move (default all)"),
        Management(), Value("host", "HOST", "the broker (default $RTD_RABBITMQ_HOST)"), Value("port", "PORT", "its AMQP port (default 5672)"),
        Value("user", "USER", "broker user (default $RTD_RABBITMQ_ADMIN_USER, rtd-admin; the operator user may not read messages)"),
        Value("password", "PASSWORD", "its password (default $RTD_RABBITMQ_ADMIN_PASSWORD)"),
    ];

    private static Command Errors() => Group("errors", "the _error and _skipped queues where messages that could not be applied wait",
        Command("list", "every _error/_skipped queue of the vhosts with its depth; with --queue, each message's id, sequence and reason",
            options => ErrorsCommand.RunAsync(options, Console.Out), ErrorsOptions(list: true)),
        Command("replay", "move messages back to the queue they came from (publish with confirm, then ack: nothing lost if interrupted)",
            options => ErrorsCommand.RunAsync(options, Console.Out), ErrorsOptions(list: false)));

    private static Command Client() => Command("client",
        "a client workstation in the terminal: loads the site snapshot, follows the stream and redraws a summary per skill group and call "
        + "type in place (Ctrl-C or SIGTERM stops); the web wallboard is served on --url meanwhile. Broker user: the workstation's own, "
        + "rtd-SITE-ws-WS (rtd workstation add), password $RTD_RABBITMQ_WORKSTATION_PASSWORD ($RTD_RABBITMQ_WORKSTATION_USER overrides the user); "
        + "without --workstation, a temporary user rtd-SITE-ws-cli-* issued with $RTD_RABBITMQ_ADMIN_USER / _PASSWORD and deleted when the client ends",
        options => ClientCommand.RunAsync(options, options.Json, options.Flag("once")),
        Value("site", "SITE", "the site, e.g. site-a (required)"),
        Value("workstation", "WS", "the workstation (default $RTD_WORKSTATION); without it, a temporary one (needs $RTD_RABBITMQ_ADMIN_PASSWORD)"),
        Value("bind", "PATTERNS", "routing-key patterns, e.g. 'skillgroup.*,agent.1001' (default: everything)"),
        Value("table", "TABLE", "show that table, a column per field"), Flag("json", "stream the view's changes as JSON lines"),
        Flag("once", "print the current snapshot and exit"), Value("stale-after", "AGE", "flag data older than this, e.g. 45s"),
        Value("url", "URL", "where the wallboard is served, e.g. http://127.0.0.1:5095 (default: a free port, shown in the view)"), Management());

    private static Symbol[] AdminLogin() =>
    [
        Management(), Value("user", "USER", "management API user (default $RTD_RABBITMQ_ADMIN_USER, rtd-admin)"),
        Value("password", "PASSWORD", "its password (default $RTD_RABBITMQ_ADMIN_PASSWORD)"),
    ];

    private static Command Workstation() => Group("workstation",
        "a workstation's own broker credential: user rtd-SITE-ws-WS with rights on its own names only (infra/rabbitmq/roles.conf; docs/security.md#workstation-credentials)",
        Command("add", "create (or reset) the user and print its new random password", options => WorkstationCommand.RunAsync(options, Console.Out),
            [Word("site", "the site, e.g. site-a"), Word("ws", "the workstation"), Value("workstation-password", "P", "use this password"), .. AdminLogin()]),
        Command("remove", "delete the user and close its connections", options => WorkstationCommand.RunAsync(options, Console.Out),
            [Word("site", "the site"), Word("ws", "the workstation"), .. AdminLogin()]),
        Command("list", "the workstation users (of one site)", options => WorkstationCommand.RunAsync(options, Console.Out),
            [OptionalWord("site", "only this site"), .. AdminLogin()]));
}
