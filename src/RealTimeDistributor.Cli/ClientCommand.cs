using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd client`: a client workstation in this process (its own queue, the snapshot, the stream, the wallboard on
/// --url) shown in the terminal: a live summary redrawn in place (<see cref="TerminalView"/>; --table shows one table),
/// JSON lines of the view's changes (--json), or the current snapshot printed once (--once). Logs go to stderr only.
/// Without --workstation, or with --once, its queues are exclusive and auto-delete: they go when it does.
/// </summary>
public static class ClientCommand
{
    public static async Task<int> RunAsync(Options options, bool json, bool once)
    {
        var site = options["site"] ?? throw new UsageException("client needs --site (e.g. site-a)");
        var named = options["workstation"] ?? (Environment.GetEnvironmentVariable("RTD_WORKSTATION") is { Length: > 0 } w ? w : null);
        var workstation = named ?? $"cli-{Environment.ProcessId}";
        var table = options["table"];
        var settings = new Dictionary<string, string?>
        {
            ["Client:Site"] = site,
            ["Client:Workstation"] = workstation,
            ["Client:Temporary"] = (once || options["workstation"] is null) ? "true" : "false",
            // the workstation's own broker credential (infra/rabbitmq/workstation.sh add SITE WS): rtd-{site}-ws-{workstation}
            ["RabbitMq:Username"] = Env("RTD_RABBITMQ_WORKSTATION_USER", BrokerUsers.Workstation(site, workstation)),
            ["RabbitMq:Password"] = Env("RTD_RABBITMQ_WORKSTATION_PASSWORD", "local-demo-workstation"),
            ["Client:StaleAfter"] = options.Duration("stale-after")?.ToString("c", CultureInfo.InvariantCulture),
            ["Urls"] = options["url"] ?? "http://127.0.0.1:0",
            ["RabbitMq:Host"] = Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
            ["RabbitMq:Port"] = Env("RTD_RABBITMQ_PORT", "5672"),
            // the terminal is the view: only a fatal error is logged, and to stderr, so stdout is only the view (or JSON lines)
            ["Logs:ToStandardError"] = "true",
            ["Serilog:MinimumLevel:Default"] = "Fatal",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Fatal",
        };
        var bindings = (options["bind"] ?? Topology.AllKeys).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < bindings.Length; i++)
        {
            settings[$"Client:Bindings:{i}"] = bindings[i];
        }

        await using var app = ClientHost.Build([], b => b.Configuration.AddInMemoryCollection(settings));
        var view = app.Services.GetRequiredService<ClientView>();
        var clientSettings = app.Services.GetRequiredService<ClientSettings>();
        var loaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = Channel.CreateUnbounded<string>();
        view.Loaded += sequence =>
        {
            loaded.TrySetResult();
            if (json && !once)
            {
                lines.Writer.TryWrite(Line("snapshot", new { siteSequence = sequence, rows = view.Rows().Where(r => table is null || r.Table == table) }));
            }
        };
        if (json && !once)
        {
            view.Changed += row =>
            {
                if (table is null || row.Table == table)
                {
                    lines.Writer.TryWrite(Line("row", row));
                }
            };
            view.Removed += row =>
            {
                if (table is null || row.Table == table)
                {
                    lines.Writer.TryWrite(Line("remove", row));
                }
            };
        }

        // Ctrl-C, and SIGTERM through the host's lifetime, end the loops at once; the host then gets a second to stop
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(app.Lifetime.ApplicationStopping);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        await app.StartAsync(stop.Token);
        try
        {
            await loaded.Task.WaitAsync(TimeSpan.FromSeconds(60), stop.Token);
            if (once)
            {
                Console.Write(json
                    ? string.Concat(view.Rows().Where(r => table is null || r.Table == table).Select(r => Line("row", r)))
                    : TerminalView.Print(view, clientSettings, app.Urls.First(), DateTimeOffset.UtcNow, table));
                return 0;
            }
            if (json)
            {
                await foreach (var line in lines.Reader.ReadAllAsync(stop.Token))
                {
                    Console.Write(line);
                }
            }
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            Console.Write("\u001b[?25l\u001b[2J"); // hide the cursor, clear once; then each frame overwrites the last in place
            try
            {
                do
                {
                    var (width, height) = Console.IsOutputRedirected ? (int.MaxValue, int.MaxValue) : (Console.WindowWidth, Console.WindowHeight);
                    var frame = TerminalView.Render(view, clientSettings, app.Urls.First(), DateTimeOffset.UtcNow, width, height, table);
                    Console.Write("\u001b[H" + frame.Replace("\n", "\u001b[K\n", StringComparison.Ordinal) + "\u001b[J");
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            finally
            {
                Console.Write("\u001b[?25h");
            }
            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0;
        }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync($"rtd: no snapshot from the distributor of {site} within 60 s: is it running?");
            return 3;
        }
        finally
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(quick.Token);
        }
    }

    private static string Line(string change, object data) =>
        $"{{\"change\":\"{change}\",\"data\":{Encoding.UTF8.GetString(Json.Serialize(data))}}}\n";

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
