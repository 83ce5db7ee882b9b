using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace RealTimeDistributor.Testing;

/// <summary>
/// A small HTTP listener that stands in for Seq: a host with <c>Seq:ServerUrl</c> = <see cref="Url"/> posts its events to
/// /api/events/raw as CLEF (one JSON object a line: <c>@t</c>, <c>@mt</c>, <c>@l</c> unless Information, then the
/// properties), and a test waits for the one it expects (<see cref="WaitForAsync"/>).
/// </summary>
public sealed class SeqStandIn : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<JsonElement> _events = [];
    private readonly List<(Func<JsonElement, bool> Match, TaskCompletionSource<JsonElement> Found)> _waiting = [];

    private SeqStandIn(int port)
    {
        Url = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add($"{Url}");
        _listener.Start();
        _ = ServeAsync();
    }

    public Uri Url { get; }

    /// <summary>Every event received so far.</summary>
    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public static SeqStandIn Start()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return new SeqStandIn(port);
    }

    /// <summary>An event's level: CLEF leaves <c>@l</c> out for Information.</summary>
    public static string Level(JsonElement e) => e.TryGetProperty("@l", out var level) ? level.GetString()! : "Information";

    /// <summary>A property of an event as text ("" when it has none).</summary>
    public static string Property(JsonElement e, string name) =>
        e.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText() : "";

    /// <summary>The first event (received before or after the call) that <paramref name="match"/>es; on a timeout, the last ones received.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_events)
        {
            if (_events.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } seen)
            {
                return seen;
            }
            _waiting.Add((match, found));
        }
        try
        {
            return await found.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            var events = Events;
            throw new TimeoutException($"No such event within {timeout}; {events.Count} received, the last: "
                + string.Join(" | ", events.TakeLast(10).Select(e => e.GetRawText())));
        }
    }

    private void Received(string body)
    {
        var events = body.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
        lock (_events)
        {
            _events.AddRange(events);
            foreach (var (match, found) in _waiting.ToList())
            {
                if (events.FirstOrDefault(match) is { ValueKind: JsonValueKind.Object } e)
                {
                    found.TrySetResult(e);
                    _waiting.Remove((match, found));
                }
            }
        }
    }

    // keeps answering until disposed: the sink flushes again when the host stops
    private Task ServeAsync() => HttpListenerLoop.ServeAsync(_listener, async context =>
    {
        using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var path = context.Request.Url!.AbsolutePath;
        context.Response.StatusCode = 201;
        context.Response.Close();
        if (path == "/api/events/raw")
        {
            Received(body);
        }
    });

    public void Dispose() => _listener.Close();
}
