using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;

namespace RealTimeDistributor.Testing;

/// <summary>
/// Debian's chromium, headless, with a fresh profile, driven over the DevTools protocol (a WebSocket) with plain
/// Runtime.evaluate calls. infra/client-tools-up.sh installs it.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private int _id;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static string Executable => Environment.GetEnvironmentVariable("RTD_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>Starts the browser on one page and connects to that page's DevTools WebSocket.</summary>
    public static async Task<HeadlessChromium> OpenAsync(Uri page)
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run infra/client-tools-up.sh (apt-get install chromium)");
        }
        var profile = Directory.CreateTempSubdirectory("rtd-chromium-").FullName;
        var start = new ProcessStartInfo(Executable,
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--hide-scrollbars", "--disable-dev-shm-usage", $"--user-data-dir={profile}", "--remote-debugging-port=0",
            page.ToString(),
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var browser = new HeadlessChromium(Process.Start(start)!, profile);
        browser._process.OutputDataReceived += (_, _) => { };
        browser._process.ErrorDataReceived += (_, _) => { };
        browser._process.BeginOutputReadLine();
        browser._process.BeginErrorReadLine();
        try
        {
            // chromium writes the port it chose to DevToolsActivePort in its profile
            var portFile = Path.Combine(profile, "DevToolsActivePort");
            var port = await Eventually.Until(() => Task.FromResult(File.Exists(portFile) ? File.ReadAllLines(portFile).FirstOrDefault() : null),
                p => !string.IsNullOrEmpty(p), "chromium's DevTools port");
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var target = await Eventually.Until(
                async () => (await http.GetFromJsonAsync<JsonElement[]>("/json/list"))!
                    .FirstOrDefault(t => t.GetProperty("type").GetString() == "page" && t.GetProperty("url").GetString()!.StartsWith(page.ToString(), StringComparison.Ordinal)),
                t => t.ValueKind == JsonValueKind.Object, "the page's DevTools target");
            await browser._socket.ConnectAsync(new Uri(target.GetProperty("webSocketDebuggerUrl").GetString()!), CancellationToken.None);
            // the target can exist before the page has finished navigating to the URL; wait for the loaded document
            await Eventually.Until(async () => await browser.TryEvaluateAsync("document.readyState === 'complete' && location.href"),
                href => href is { ValueKind: JsonValueKind.String } h && h.GetString()!.StartsWith(page.ToString(), StringComparison.Ordinal), "the page to load");
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    /// <summary>Evaluates a JavaScript expression in the page; a promise is awaited. Returns the value as JSON.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, TimeSpan? timeout = null)
    {
        var result = await CallAsync("Runtime.evaluate", new { expression, awaitPromise = true, returnByValue = true }, timeout);
        if (result.TryGetProperty("exceptionDetails", out var error))
        {
            throw new InvalidOperationException($"The page could not evaluate {expression}: {error}");
        }
        return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
    }

    /// <summary>Gives the page a viewport of <paramref name="width"/> x <paramref name="height"/> (it gets a resize event).</summary>
    public Task ResizeAsync(int width, int height) =>
        CallAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false });

    /// <summary>
    /// Resizes the page's viewport to width x height, waits for the page to lay out again, and writes a PNG of it to
    /// <paramref name="path"/>.
    /// </summary>

    public async Task ScreenshotAsync(string path, int width, int height)
    {
        await CallAsync("Emulation.setDeviceMetricsOverride", new { width, height, deviceScaleFactor = 1, mobile = false });
        await EvaluateAsync("new Promise(resolve => requestAnimationFrame(() => requestAnimationFrame(resolve)))");
        var shot = await CallAsync("Page.captureScreenshot", new { format = "png" });
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, Convert.FromBase64String(shot.GetProperty("data").GetString()!));
    }

    /// <summary>Calls one DevTools protocol method on the page and returns its result.</summary>
    private async Task<JsonElement> CallAsync(string method, object parameters, TimeSpan? timeout = null)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var id = ++_id;
        var request = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        await _socket.SendAsync(request, WebSocketMessageType.Text, true, cancel.Token);
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _socket.ReceiveAsync(buffer, cancel.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);
            var reply = JsonDocument.Parse(message.ToArray()).RootElement;
            if (!reply.TryGetProperty("id", out var replyId) || replyId.GetInt32() != id)
            {
                continue;
            }
            return reply.TryGetProperty("error", out var error)
                ? throw new InvalidOperationException($"Chromium refused {method}: {error}")
                : reply.GetProperty("result").Clone();
        }
    }

    private async Task<JsonElement?> TryEvaluateAsync(string expression)
    {
        try
        {
            return await EvaluateAsync(expression);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>
    /// Resolves when the element's text contains the expected text: a MutationObserver in the page is the signal,
    /// no polling. Fails after the timeout with what the element showed.
    /// </summary>
    public async Task<string> WaitForTextAsync(string selector, string expected, TimeSpan? timeout = null)
    {
        var wait = timeout ?? TimeSpan.FromSeconds(30);
        var s = JsonSerializer.Serialize(selector);
        var e = JsonSerializer.Serialize(expected);
        var script = $$"""
            new Promise(resolve => {
              const read = () => document.querySelector({{s}})?.textContent ?? null;
              const check = () => { const t = read(); if (t !== null && t.includes({{e}})) { observer.disconnect(); resolve({ ok: true, text: t }); } };
              const observer = new MutationObserver(check);
              observer.observe(document, { subtree: true, childList: true, characterData: true });
              setTimeout(() => { observer.disconnect(); resolve({ ok: false, text: read() }); }, {{(int)wait.TotalMilliseconds}});
              check();
            })
            """;
        var result = await EvaluateAsync(script, wait + TimeSpan.FromSeconds(5));
        var text = result.GetProperty("text").ValueKind == JsonValueKind.String ? result.GetProperty("text").GetString()! : "(no such element)";
        return result.GetProperty("ok").GetBoolean()
            ? text
            : throw new TimeoutException($"The page never showed '{expected}' in {selector}; it shows: {text}");
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // chromium may still be writing its profile; it is a temporary folder
        }
    }
}
