using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd client`: a client workstation in this process (its own queue, the snapshot, the stream, the wallboard on
/// --url) shown in the terminal: a live view redrawn in place with each table's staleness, JSON lines of the view's
/// changes (--json), or the current snapshot printed once (--once).
/// </summary>
public static class ClientCommand
{
    public static async Task<int> RunAsync(Options options, bool json, bool once)
    {
        var site = options["site"] ?? throw new UsageException("client needs --site (e.g. site-a)");
        var workstation = options["workstation"] ?? $"cli-{Environment.ProcessId}";
        var settings = new Dictionary<string, string?>
        {
            ["Client:Site"] = site,
            ["Client:Workstation"] = workstation,
            ["Client:StaleAfter"] = options.Duration("stale-after")?.ToString("c", CultureInfo.InvariantCulture),
            ["Urls"] = options["url"] ?? "http://127.0.0.1:0",
            ["RabbitMq:Host"] = Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
            ["RabbitMq:Port"] = Env("RTD_RABBITMQ_PORT", "5672"),
            ["RabbitMq:Username"] = Env("RTD_RABBITMQ_USER", "rtd"),
            ["RabbitMq:Password"] = Env("RTD_RABBITMQ_PASSWORD", "local-demo-rtd"),
            // the terminal is the view: only a fatal error is logged
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
                lines.Writer.TryWrite(Line("snapshot", new { siteSequence = sequence, rows = view.Rows() }));
            }
        };
        if (json && !once)
        {
            view.Changed += row => lines.Writer.TryWrite(Line("row", row));
            view.Removed += row => lines.Writer.TryWrite(Line("remove", row));
        }

        using var stop = new CancellationTokenSource();
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
                Console.Write(json ? string.Concat(view.Rows().Select(r => Line("row", r))) : Render(view, clientSettings, app.Urls.First(), live: false));
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
            do
            {
                Console.Write("\u001b[H\u001b[2J" + Render(view, clientSettings, app.Urls.First(), live: true));
            }
            while (await timer.WaitForNextTickAsync(stop.Token));
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
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static string Line(string change, object data) =>
        $"{{\"change\":\"{change}\",\"data\":{Encoding.UTF8.GetString(Json.Serialize(data))}}}\n";

    /// <summary>Each table with its age and staleness, then its rows (at most 20 per table in the live view).</summary>
    public static string Render(ClientView view, ClientSettings settings, string url, bool live)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"site {settings.Site}  workstation {settings.Workstation}  snapshot at {view.SnapshotSequence}  last site sequence {view.LastSiteSequence}  gaps {view.Gaps}  snapshots {view.Snapshots}  wallboard {url}/");
        var rows = view.Rows().ToLookup(r => (r.Kind, r.Table));
        foreach (var table in view.Tables(DateTimeOffset.UtcNow, settings.StaleAfter))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{table.Kind} {table.Table}: {table.Rows} rows, newest update {table.Age.TotalSeconds:0.0} s ago{(table.Stale ? "  ** STALE **" : "")}");
            var shown = rows[(table.Kind, table.Table)].Take(live ? 20 : int.MaxValue).ToList();
            foreach (var row in shown)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  {row.Key,-10} {Describe(row),-60} v{row.Version}");
            }
            if (shown.Count < table.Rows)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"  ... {table.Rows - shown.Count} more");
            }
        }
        return text.ToString();
    }

    /// <summary>A configuration row by its name, a real-time row as "column: value" pairs.</summary>
    public static string Describe(ViewRow row) => row.Value switch
    {
        null => "",
        { } v when row.Kind == SiteUpdate.ConfigKind => v.TryGetProperty("name", out var name) ? name.ToString() : v.GetRawText(),
        { ValueKind: JsonValueKind.Object } v => string.Join(", ", v.EnumerateObject().Select(p => $"{p.Name}: {p.Value}")),
        { } v => v.GetRawText(),
    };

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
