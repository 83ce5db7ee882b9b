using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// The web wallboard: GET / is a static page (View/Wallboard/, embedded in the client: HTML, CSS and JavaScript, no build
/// step) that draws skill group tiles, the agent grid and call type and service summaries from GET /events, a
/// server-sent event stream (<see cref="WallboardFeed"/>) of the scope the page's URL asks for (?group=, ?team=, passed on:
/// <see cref="WallboardScope"/>, <see cref="ScopeRule"/>; a malformed one gets a 400 with the reason): "reset" (the scope's
/// rows of the view, the wallboard settings and the host's clock, at connect, after every snapshot, when the scope's
/// members change and to a browser that fell behind), "frame" (the scope's rows changed and removed since the last frame,
/// every Client:Wallboard:FrameInterval) and "status" every second (the host's clock, the last site sequence, since when
/// the center is unreachable if it is, each table's age and staleness); beyond Client:Wallboard:MaxConnections streams,
/// or Client:Wallboard:MaxScopes scopes, a 503 with Retry-After. GET /diagnostics shows every table raw.
/// GET /tables is the staleness as JSON.
/// </summary>
public static class Wallboard
{
    public static void MapWallboard(this WebApplication app)
    {
        app.MapGet("/", () => File("index.html", "text/html; charset=utf-8"));
        app.MapGet("/diagnostics", () => File("diagnostics.html", "text/html; charset=utf-8"));
        app.MapGet("/wallboard/{name:regex(^[a-z]+\\.(js|css)$)}", (string name) =>
            File(name, name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8"));
        app.MapGet("/tables", (ClientView view, ClientSettings settings, TimeProvider clock) => Results.Ok(view.Tables(clock.GetUtcNow(), settings.StaleAfter)));
        app.MapGet("/events", (HttpContext http, WallboardFeed feed, ILogger<WallboardFeed> logger) => StreamAsync(http, feed, logger));
    }

    /// <summary>How long a browser refused at the connection cap is asked to wait (the page adds a random part).</summary>
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(10);

    /// <summary>Registers the shared feed of GET /events (<see cref="WallboardFeed"/>) and its settings.</summary>
    public static void AddWallboard(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(WallboardSettings.From(configuration));
        services.Configure<SocketTransportOptions>(o => o.MaxWriteBufferSize = WriteBuffer);
        services.AddSingleton<WallboardFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<WallboardFeed>());
    }

    private static async Task StreamAsync(HttpContext http, WallboardFeed feed, ILogger<WallboardFeed> logger)
    {
        if (WallboardScope.Parse(http.Request.Query, out var error) is not { } scope)
        {
            logger.LogWarning("Wallboard connection from {Remote} refused: bad scope {Query}: {Reason}", http.Connection.RemoteIpAddress, http.Request.QueryString.Value, error);
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            await http.Response.WriteAsync($"Bad wallboard scope: {error}.\n");
            return;
        }
        var connection = feed.Connect(http.Request.Headers["Last-Event-ID"].FirstOrDefault(), scope, out var refused);
        if (connection is null)
        {
            logger.LogWarning("Wallboard connection from {Remote} for scope {Scope} refused: {Refusal}", http.Connection.RemoteIpAddress, scope, refused);
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = ((int)RetryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await http.Response.WriteAsync($"{refused}; try again later, or open the wallboard of another client of the site.\n");
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var ct = http.RequestAborted;
        var pending = Task.CompletedTask;
        try
        {
            while (true)
            {
                pending = await WriteAsync(http.Response.Body, await feed.NextAsync(connection, ct), pending, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the browser went away (or was too slow for the server's minimum data rate)
        }
        finally
        {
            feed.Disconnect(connection);
            await Task.WhenAny(pending); // its failure is the connection's end, already handled: observed, not rethrown
        }
    }

    /// <summary>The most of an event handed to Kestrel in one write.</summary>
    public const int WriteSlice = 64 * 1024;

    /// <summary>
    /// Kestrel's output buffer per connection (its socket transport's <c>MaxWriteBufferSize</c>, 64 KB by default): a write
    /// that leaves more than this unsent waits for the socket; below it, a write returns at once. Large enough for a
    /// frame at a large site (300-450 KB at 12,000 agents), so a browser that keeps up is written a frame without waiting.
    /// </summary>
    public const int WriteBuffer = 448 * 1024;

    /// <summary>
    /// Writes the feed's shared bytes in slices of <see cref="WriteSlice"/>. Kestrel copies each slice into the connection's
    /// output buffer and completes the write at once while less than <see cref="WriteBuffer"/> is unsent, else once no more
    /// than half of it is; a slice is handed over only once the write before it has completed, so a connection
    /// holds at most that buffer and a slice (512 KB) whatever the event and however slowly its browser reads, never its
    /// own copy of a reset (megabytes at a large site: docs/benchmarks.md, "fanout-browsers"). The last write of an event
    /// is not awaited here: it is awaited before the next event's first slice (<paramref name="pending"/>), so a frame that
    /// fills the buffer costs no wait for the socket while the browser reads it. A stalled write is ended by Kestrel's
    /// minimum response data rate (240 bytes/s after 5 s, measured per write).
    /// </summary>
    /// <returns>The event's last write, to await before the next write or at the end of the stream.</returns>
    public static async ValueTask<Task> WriteAsync(System.IO.Stream body, ReadOnlyMemory<byte> encoded, Task pending, CancellationToken ct)
    {
        for (var offset = 0; offset < encoded.Length; offset += WriteSlice)
        {
            await pending;
            pending = body.WriteAsync(encoded.Slice(offset, Math.Min(WriteSlice, encoded.Length - offset)), ct).AsTask();
        }
        return pending;
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
