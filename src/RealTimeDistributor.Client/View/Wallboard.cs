using System.Text;
using System.Threading.Channels;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// The web wallboard: GET / is a static page (View/Wallboard/, embedded in the client: HTML, CSS and JavaScript, no build
/// step) that draws skill group tiles, the agent grid and call type and service summaries from GET /events, a
/// server-sent event stream: "reset" (the whole view, the wallboard settings and the host's clock, at connect and after
/// every snapshot), "row" (a row added or changed), "remove" (a configuration row deleted), and "status" every second
/// (the host's clock, the last site sequence, since when the center is unreachable if it is, each table's age and staleness). GET /diagnostics shows every table raw.
/// GET /tables is the staleness as JSON.
/// </summary>
public static class Wallboard
{
    public static void MapWallboard(this WebApplication app)
    {
        var wallboard = WallboardSettings.From(app.Configuration);
        app.MapGet("/", () => File("index.html", "text/html; charset=utf-8"));
        app.MapGet("/diagnostics", () => File("diagnostics.html", "text/html; charset=utf-8"));
        app.MapGet("/wallboard/{name:regex(^[a-z]+\\.(js|css)$)}", (string name) =>
            File(name, name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8"));
        app.MapGet("/tables", (ClientView view, ClientSettings settings, TimeProvider clock) => Results.Ok(view.Tables(clock.GetUtcNow(), settings.StaleAfter)));
        app.MapGet("/events", (HttpContext http, ClientView view, ClientSettings settings, TimeProvider clock) => StreamAsync(http, view, settings, wallboard, clock));
    }

    private static async Task StreamAsync(HttpContext http, ClientView view, ClientSettings settings, WallboardSettings wallboard, TimeProvider clock)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var events = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        var gate = new Lock();
        void Send(string name, object data)
        {
            lock (gate)
            {
                events.Writer.TryWrite($"event: {name}\ndata: {Encoding.UTF8.GetString(Json.Serialize(data))}\n\n");
            }
        }
        void Reset() => Send("reset", new
        {
            settings.Site,
            settings.Workstation,
            now = clock.GetUtcNow(),
            settings = wallboard,
            view.SnapshotSequence,
            view.IsLoading,
            rows = view.Rows(),
        });
        void Status() => Send("status", new
        {
            now = clock.GetUtcNow(),
            view.LastSiteSequence,
            view.SnapshotSequence,
            view.IsLoading,
            view.Snapshots,
            view.Gaps,
            view.CenterUnreachableSince,
            tables = view.Tables(clock.GetUtcNow(), settings.StaleAfter),
        });
        void OnChanged(ViewRow row) => Send("row", row);
        void OnRemoved(ViewRow row) => Send("remove", row);
        void OnLoaded(long _) => Reset();

        // subscribe and take the first reset as one step under the view's lock, so no event comes before the reset; the
        // view's lock is taken before the stream's gate, as when the view raises an event (the other order deadlocks)
        view.Atomically(() =>
        {
            view.Changed += OnChanged;
            view.Removed += OnRemoved;
            view.Loaded += OnLoaded;
            Reset();
        });
        var ct = http.RequestAborted;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var ticks = Task.Run(async () =>
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                Status();
            }
        }, ct);
        try
        {
            Status();
            await foreach (var message in events.Reader.ReadAllAsync(ct))
            {
                await http.Response.WriteAsync(message, ct);
                await http.Response.Body.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the browser went away
        }
        finally
        {
            view.Changed -= OnChanged;
            view.Removed -= OnRemoved;
            view.Loaded -= OnLoaded;
            await ticks.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static IResult File(string name, string contentType)
    {
        using var stream = typeof(Wallboard).Assembly.GetManifestResourceStream($"wallboard/{name}");
        if (stream is null)
        {
            return Results.NotFound();
        }
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return Results.Bytes(copy.ToArray(), contentType);
    }
}
