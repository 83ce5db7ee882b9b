using System.Globalization;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd client`: a client workstation in this process (its own queue, the snapshot, the stream, the wallboard on
/// --url) shown in the terminal: a live summary redrawn in place (<see cref="TerminalView"/>; --table shows one table),
/// JSON lines of the view's changes (--json), or the current snapshot printed once (--once). Logs go to stderr only.
/// Without --workstation, or with --once, its queues are exclusive and auto-delete: they go when it does (--once of a
/// workstation whose queue exists reads that queue). Without --workstation (and RTD_RABBITMQ_WORKSTATION_USER) it issues
/// itself a temporary workstation user with the admin credentials and deletes it on the way out (<see cref="TemporaryWorkstation"/>).
/// A refused login, an unknown site or a workstation in use is one line at once.
/// </summary>
internal static class ClientCommand
{
    public static async Task<int> RunAsync(Options options, bool json, bool once)
    {
        var site = options["site"] ?? throw new UsageException("client needs --site (e.g. site-a)");
        var named = options["workstation"] ?? (Environment.GetEnvironmentVariable("RTD_WORKSTATION") is { Length: > 0 } w ? w : null);
        var ownUser = Environment.GetEnvironmentVariable("RTD_RABBITMQ_WORKSTATION_USER") is { Length: > 0 } u ? u : null;
        foreach (var (what, id) in new[] { ("site", site), ("workstation", named) })
        {
            if (id is not null && !Identifiers.IsValid(id))
            {
                throw new UsageException($"--{what} is '{id}': ids are {Identifiers.Rule}");
            }
        }
        var staleAfter = options.Duration("stale-after");
        if (named is null && ownUser is null)
        {
            // a temporary user for this session only, deleted on every way out (kill -9 aside: the next sweep deletes it)
            await using var temporary = await TemporaryWorkstation.IssueAsync(options, site);
            return await RunAsync(options, json, once, site, temporary.Workstation, Broker(site, temporary.User, temporary.Password), temporary: true, staleAfter);
        }
        var workstation = named ?? $"cli-{Environment.ProcessId}";
        var broker = Broker(site, ownUser ?? BrokerUsers.Workstation(site, workstation), Env("RTD_RABBITMQ_WORKSTATION_PASSWORD", "local-demo-workstation"));
        return await RunAsync(options, json, once, site, workstation, broker, temporary: named is null, staleAfter);
    }

    private static RabbitMqSettings Broker(string site, string user, string password) =>
        new(Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
            int.TryParse(Env("RTD_RABBITMQ_PORT", "5672"), CultureInfo.InvariantCulture, out var port) ? port : throw new UsageException("RTD_RABBITMQ_PORT is not a port number"),
            user, password, UseTls: false, TimeSpan.FromSeconds(5), Topology.Site.VirtualHost(site));

    /// <summary>The session as <paramref name="workstation"/>, logged in as <paramref name="broker"/>'s user; <paramref name="temporary"/>: its queues go with it.</summary>
    private static async Task<int> RunAsync(Options options, bool json, bool once, string site, string workstation, RabbitMqSettings broker, bool temporary,
        TimeSpan? staleAfter)
    {
        // a named workstation's queue outlives its session: --once reads it then (a session that starts later loads a snapshot anyway)
        var queueExists = await WorkstationQueueAsync(broker, site, workstation, once);
        var table = options["table"];
        var settings = new Dictionary<string, string?>
        {
            ["Client:Site"] = site,
            ["Client:Workstation"] = workstation,
            ["Client:Temporary"] = (temporary || (once && !queueExists)) ? "true" : "false",
            // the workstation's own broker credential (rtd workstation add SITE WS): rtd-{site}-ws-{workstation}
            ["RabbitMq:Username"] = broker.Username,
            ["RabbitMq:Password"] = broker.Password,
            ["Client:StaleAfter"] = staleAfter?.ToString("c", CultureInfo.InvariantCulture),
            ["Urls"] = options["url"] ?? "http://127.0.0.1:0",
            ["RabbitMq:Host"] = broker.Host,
            ["RabbitMq:Port"] = broker.Port.ToString(CultureInfo.InvariantCulture),
            // the terminal is the view: only a fatal error is logged, and to stderr, so stdout is only the view (or JSON lines)
            ["Logs:ToStandardError"] = "true",
            ["Serilog:MinimumLevel:Default"] = "Fatal",
            ["Serilog:MinimumLevel:Override:Microsoft.Hosting.Lifetime"] = "Fatal",
            ["Serilog:MinimumLevel:Override:MassTransit"] = "Fatal",
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
                    var (width, height) = Console.IsOutputRedirected ? (10_000, int.MaxValue) : (Console.WindowWidth, Console.WindowHeight);
                    var frame = TerminalView.Render(view, clientSettings, app.Urls.First(), DateTimeOffset.UtcNow, width, height, table,
                        colors: !Console.IsOutputRedirected);
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
            throw new UnreachableException($"no snapshot from the distributor of {site} within 60 s: is it running?");
        }
        finally
        {
            using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await app.StopAsync(quick.Token);
        }
    }

    /// <summary>
    /// Before the host starts, one connection as the workstation's user to its site: a refused login, an unknown site or a
    /// workstation whose queue another session consumes is one line at once (not a retrying bus). Whether the queue exists.
    /// A --once session without the queue (<paramref name="once"/>) declares it and the exchange in front of it temporary:
    /// the durable exchange an earlier live session left (it outlives the queue's 30 min expiry) is deleted first, if
    /// nothing is bound to it, or the broker would refuse the temporary one.
    /// </summary>
    private static async Task<bool> WorkstationQueueAsync(RabbitMqSettings broker, string site, string workstation, bool once)
    {
        var vhost = Topology.Site.VirtualHost(site);
        IConnection connection;
        try
        {
            connection = await RabbitMqConnections.ConnectAsync(broker, vhost, $"rtd client {site} {workstation} (check)", CancellationToken.None);
        }
        catch (BrokerUnreachableException exception) when (exception.InnerException is AuthenticationFailureException)
        {
            throw new LoginRefusedException($"the broker at {broker.Endpoint(vhost)} refuses user '{broker.Username}': is workstation '{workstation}' of site '{site}' "
                + $"issued (rtd workstation add {site} {workstation}) and RTD_RABBITMQ_WORKSTATION_PASSWORD its password?");
        }
        catch (Exception exception) when (exception is BrokerUnreachableException or OperationInterruptedException
            && Chain(exception).Contains("NOT_ALLOWED", StringComparison.Ordinal))
        {
            throw NoSite(broker, site);
        }
        catch (BrokerUnreachableException exception)
        {
            throw new UnreachableException($"the broker at {broker.Endpoint(vhost)} does not answer ({exception.InnerException?.Message ?? exception.Message}); set RTD_RABBITMQ_HOST / RTD_RABBITMQ_PORT");
        }
        await using (connection)
        {
            var queue = Topology.Site.ClientQueue(site, workstation);
            try
            {
                await using var channel = await connection.CreateChannelAsync();
                var found = await channel.QueueDeclarePassiveAsync(queue);
                return found.ConsumerCount == 0 ? true : throw InUse(site, workstation, queue);
            }
            catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
            {
                if (once)
                {
                    await DeleteLeftExchangeAsync(connection, site, workstation, queue);
                }
                return false;
            }
            catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 405)
            {
                throw InUse(site, workstation, queue);
            }
            catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 530)
            {
                // the broker refuses a vhost it does not have when the connection's first channel opens
                throw NoSite(broker, site);
            }
        }
    }

    private static async Task DeleteLeftExchangeAsync(IConnection connection, string site, string workstation, string queue)
    {
        try
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeleteAsync(queue, ifUnused: true);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 406)
        {
            // something is bound from it: another session is setting the workstation up
            throw InUse(site, workstation, queue);
        }
    }

    private static UsageException NoSite(RabbitMqSettings broker, string site) =>
        new($"no site '{site}' at the broker {broker.Endpoint(Topology.Site.VirtualHost(site))} (user '{broker.Username}' may not open "
            + $"vhost {Topology.Site.VirtualHost(site)}, or it does not exist)");

    private static CommandFailedException InUse(string site, string workstation, string queue) =>
        new($"workstation '{workstation}' of site '{site}' is in use: another session consumes its queue {queue}; stop that one first, or give another --workstation");

    private static string Chain(Exception? exception)
    {
        var text = new StringBuilder();
        for (; exception is not null; exception = exception.InnerException)
        {
            text.Append(exception.Message).Append(' ');
        }
        return text.ToString();
    }

    private static string Line(string change, object data) =>
        $"{{\"change\":\"{change}\",\"data\":{Encoding.UTF8.GetString(Json.Serialize(data))}}}\n";

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;
}
