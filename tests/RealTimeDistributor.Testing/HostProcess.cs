using System.Diagnostics;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Testing;

/// <summary>
/// A host started by `rtd-lab demo` or `rtd-lab chaos`: its own process, its console going to a log file, stopped with SIGTERM;
/// `rtd-lab chaos` also kills (SIGKILL), pauses (SIGSTOP), resumes (SIGCONT) and starts it again with the same settings.
/// </summary>
public sealed class HostProcess : IAsyncDisposable
{
    /// <summary>How many of its last output lines a host keeps, to say why it stopped.</summary>
    public const int KeptLines = 10;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _lastLines;

    private readonly string[] _arguments;
    private readonly string _logFolder;
    private readonly IReadOnlyDictionary<string, string> _environment;

    private HostProcess(string name, Process process, StreamWriter log, Queue<string> lastLines, Uri url, string[] arguments, string logFolder,
        IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        _process = process;
        _log = log;
        _lastLines = lastLines;
        Url = url;
        _arguments = arguments;
        _logFolder = logFolder;
        _environment = environment;
    }

    public string Name { get; }

    public Uri Url { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The file its output goes to.</summary>
    public string LogPath => Path.Combine(_logFolder, $"{Name}.log");

    public static HostProcess Start(string name, string project, Uri url, string logFolder, IReadOnlyDictionary<string, string> environment) =>
        Start(name, [Binaries.Path(project)], url, logFolder, environment, append: false);

    /// <summary>This tool itself (rtd-lab) with <paramref name="args"/> (a gateway: `rtd-lab simulate`), serving no URL of its own.</summary>
    public static HostProcess StartSelf(string name, IEnumerable<string> args, string logFolder, IReadOnlyDictionary<string, string> environment) =>
        Start(name, [System.Reflection.Assembly.GetEntryAssembly()!.Location, .. args], new Uri("http://127.0.0.1:0"), logFolder, environment, append: false);

    /// <summary>The same host again (after <see cref="KillAsync"/> or a stop), its log continued.</summary>
    public HostProcess Restart() => Start(Name, _arguments, Url, _logFolder, _environment, append: true);

    private static HostProcess Start(string name, string[] arguments, Uri url, string logFolder, IReadOnlyDictionary<string, string> environment, bool append)
    {
        Directory.CreateDirectory(logFolder);
        var log = new StreamWriter(Path.Combine(logFolder, $"{name}.log"), append) { AutoFlush = true };
        var lastLines = new Queue<string>();
        var start = new ProcessStartInfo("dotnet", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["Urls"] = url.ToString().TrimEnd('/');
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(log, lastLines, e.Data);
        process.ErrorDataReceived += (_, e) => Write(log, lastLines, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new HostProcess(name, process, log, lastLines, url, arguments, logFolder, environment);
    }

    /// <summary>Waits until each host answers /health; a <see cref="HostStartException"/> when one exits first or takes over 90 s.</summary>
    public static async Task WaitHealthyAsync(IEnumerable<HostProcess> hosts, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var host in hosts)
        {
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90);
            while (true)
            {
                if (host.HasExited)
                {
                    throw await host.StartFailureAsync("exited during start");
                }
                try
                {
                    if ((await http.GetAsync(new Uri(host.Url, "/health"), cancellationToken)).IsSuccessStatusCode)
                    {
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }
                if (DateTimeOffset.UtcNow > deadline)
                {
                    throw await host.StartFailureAsync($"did not become healthy at {host.Url} within 90 s");
                }
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>SIGKILL: no graceful stop, no last ack; returns when the process is gone.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGSTOP (frozen: its connections stay open, its queue fills) or SIGCONT.</summary>
    public Task PauseAsync() => SignalAsync("-STOP");

    public Task ResumeAsync() => SignalAsync("-CONT");

    private Task SignalAsync(string signal) => SignalAsync(_process, signal);

    /// <summary>Sends <paramref name="signal"/> ("-STOP", "-CONT", "-TERM") to <paramref name="process"/> unless it has exited.</summary>
    public static async Task SignalAsync(Process process, string signal)
    {
        if (process.HasExited)
        {
            return;
        }
        using var kill = Process.Start("kill", [signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    private static void Write(StreamWriter log, Queue<string> lastLines, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
            lastLines.Enqueue(line);
            if (lastLines.Count > KeptLines)
            {
                lastLines.Dequeue();
            }
        }
    }

    /// <summary>
    /// Why the host did not start: <paramref name="what"/>, its exit code once it has exited (waiting for the rest of its
    /// output), and the last <see cref="KeptLines"/> lines of its output, one per line.
    /// </summary>
    public async Task<HostStartException> StartFailureAsync(string what)
    {
        if (_process.HasExited)
        {
            await _process.WaitForExitAsync(); // also reads its output to the end
            what += $" (exit code {_process.ExitCode})";
        }
        string[] lines;
        lock (_log)
        {
            lines = [.. _lastLines];
        }
        return new HostStartException($"{Name} {what}; the last lines of {LogPath}:{string.Concat(lines.Select(l => "\n" + l))}");
    }

    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }
        await ResumeAsync(); // a paused process cannot stop
        await SignalAsync("-TERM");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        lock (_log)
        {
            _log.Dispose();
        }
    }
}

/// <summary>A host exited during start, or never answered /health: its exit code and last lines of output in the message.</summary>
public sealed class HostStartException(string message) : Exception(message);

/// <summary>Finds the built host dlls next to this one in the repository (src/X/bin/{Configuration}/net10.0/X.dll).</summary>
public static class Binaries
{
    public static string Path(string project)
    {
        var here = AppContext.BaseDirectory;
        var configuration = here.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var root = Repository.Root();
        var dll = root is null ? null : System.IO.Path.Combine(root, "src", project, "bin", configuration, "net10.0", $"{project}.dll");
        return dll is not null && File.Exists(dll)
            ? dll
            : throw new UsageException($"{project} is not built: run `dotnet build -c {configuration}` at the repository root first");
    }
}
