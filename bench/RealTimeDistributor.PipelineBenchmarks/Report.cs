using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>One figure of a run: a value, and its ratio to the baseline of the same group measured in the same run.</summary>
public sealed record Figure(string Benchmark, string Group, string Name, double Value, string Unit, string? Baseline, double? Ratio);

/// <summary>One benchmark of a run: when it ran, the load average as it started, and its error if it failed.</summary>
public sealed record BenchmarkRun(string Name, DateTimeOffset StartedAt, double Seconds, double? LoadAverageAtStart, string? Error);

/// <summary>The machine a run measured.</summary>
public sealed record Machine(int Cores, long MemoryBytes, string Os, string DotNet, string? Commit);

/// <summary>
/// Collects the figures of a run (each benchmark calls <see cref="Add"/>), prints them as one table with each figure's
/// ratio to its baseline, and writes the run as Markdown and JSON (<see cref="WriteAsync"/>): machine, load average
/// before and after, every figure.
/// </summary>
public sealed class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
    private readonly List<(string Benchmark, string Group, string Name, double Value, string Unit, string? Baseline)> _rows = [];
    private readonly List<BenchmarkRun> _runs = [];
    private readonly DateTimeOffset _startedAt = DateTimeOffset.Now;
    private readonly double? _loadBefore = LoadAverage();
    private string _current = "";

    public void Add(string group, string name, double value, string unit, string? baseline = null)
    {
        _rows.Add((_current, group, name, value, unit, baseline));
        Console.WriteLine($"  {group} / {name}: {value:N0} {unit}");
    }

    public static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed;
    }

    /// <summary>Runs one benchmark, recording its figures under its name; a failure is recorded and the run goes on.</summary>
    public async Task<bool> RunAsync(string name, Func<Task> benchmark)
    {
        _current = name;
        var started = DateTimeOffset.Now;
        var load = LoadAverage();
        var watch = Stopwatch.StartNew();
        string? error = null;
        try
        {
            await benchmark();
        }
        catch (Exception exception)
        {
            error = $"{exception.GetType().Name}: {exception.Message}";
            Console.Error.WriteLine($"{name} failed: {exception}");
        }
        _runs.Add(new BenchmarkRun(name, started, Math.Round(watch.Elapsed.TotalSeconds, 1), load, error));
        return error is null;
    }

    public IReadOnlyList<Figure> Figures() => [.. _rows.Select(row =>
    {
        var baseline = row.Baseline is { } name ? _rows.FirstOrDefault(r => r.Group == row.Group && r.Name == name) : default;
        return new Figure(row.Benchmark, row.Group, row.Name, row.Value, row.Unit, row.Baseline,
            baseline.Name is not null && baseline.Value > 0 ? row.Value / baseline.Value : null);
    })];

    public void Print()
    {
        Console.WriteLine();
        Console.WriteLine($"{"measure",-58} {"value",12} {"unit",-10} {"ratio",-30}");
        Console.WriteLine(new string('-', 112));
        foreach (var figure in Figures())
        {
            var ratio = figure.Ratio is { } r ? $"{r:0.00} x {figure.Baseline}" : "";
            Console.WriteLine($"{figure.Group + " / " + figure.Name,-58} {figure.Value,12:N1} {figure.Unit,-10} {ratio,-30}");
        }
    }

    /// <summary>Writes {folder}/{yyyy-MM-dd}.md and .json ({yyyy-MM-dd}-quick.* for a quick run); returns the Markdown path.</summary>
    public async Task<string> WriteAsync(string folder, bool quick)
    {
        Directory.CreateDirectory(folder);
        var loadAfter = LoadAverage();
        var machine = new Machine(Environment.ProcessorCount, MemoryBytes(), OsName(), RuntimeInformation.FrameworkDescription, Commit());
        var basePath = Path.Combine(folder, _startedAt.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + (quick ? "-quick" : ""));
        var figures = Figures();
        await File.WriteAllTextAsync(basePath + ".json", JsonSerializer.Serialize(new
        {
            startedAt = _startedAt,
            finishedAt = DateTimeOffset.Now,
            quick,
            machine,
            loadAverage = new { before = _loadBefore, after = loadAfter },
            benchmarks = _runs,
            figures,
        }, JsonOptions) + "\n");

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# Benchmark report {_startedAt:yyyy-MM-dd HH:mm zzz}{(quick ? " (quick)" : "")}");
        md.AppendLine();
        md.AppendLine("Written by `rtd-lab bench` (bench/RealTimeDistributor.PipelineBenchmarks); how to read it: docs/benchmarks.md.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- machine: {machine.Cores} cores, {machine.MemoryBytes / (1024.0 * 1024 * 1024):0.0} GiB memory, {machine.Os}, {machine.DotNet}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- commit: {machine.Commit ?? "unknown"}");
        md.AppendLine(CultureInfo.InvariantCulture, $"- load average (1 min): {Show(_loadBefore)} before, {Show(loadAfter)} after");
        md.AppendLine(CultureInfo.InvariantCulture, $"- {(quick ? "quick run (`--quick`: smaller loads; not comparable with a full run)" : "full run")}");
        md.AppendLine();
        md.AppendLine("| benchmark | started | seconds | load average at start | result |");
        md.AppendLine("|---|---|---:|---:|---|");
        foreach (var run in _runs)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {run.Name} | {run.StartedAt:HH:mm:ss} | {run.Seconds:0.0} | {Show(run.LoadAverageAtStart)} | {run.Error?.ReplaceLineEndings(" ") ?? "ok"} |");
        }
        foreach (var group in figures.GroupBy(f => (f.Benchmark, f.Group)))
        {
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"## {group.Key.Benchmark}: {group.Key.Group}");
            md.AppendLine();
            md.AppendLine("| measure | value | unit | ratio | baseline |");
            md.AppendLine("|---|---:|---|---:|---|");
            foreach (var figure in group)
            {
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {figure.Name} | {figure.Value:#,0.#} | {figure.Unit} | {(figure.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + " ×" : "")} | {figure.Baseline ?? ""} |");
            }
        }
        await File.WriteAllTextAsync(basePath + ".md", md.ToString());
        return basePath + ".md";
    }

    private static string Show(double? load) => load?.ToString("0.00", CultureInfo.InvariantCulture) ?? "n/a";

    /// <summary>The 1-minute load average (Linux /proc/loadavg), else null.</summary>
    public static double? LoadAverage() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture, out var load)
            ? load
            : null;

    private static long MemoryBytes()
    {
        var total = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return total is not null && long.TryParse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture, out var kb)
            ? kb * 1024
            : GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    }

    private static string OsName()
    {
        var pretty = File.Exists("/etc/os-release") ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal)) : null;
        return pretty is null ? RuntimeInformation.OSDescription : $"{pretty["PRETTY_NAME=".Length..].Trim('"')}, kernel {Environment.OSVersion.Version}";
    }

    /// <summary>The repository's commit (git rev-parse), with "+changes" when the work tree differs from it; null without git.</summary>
    private static string? Commit()
    {
        try
        {
            var head = Git("rev-parse --short HEAD");
            return head is null ? null : head + (string.IsNullOrEmpty(Git("status --porcelain --untracked-files=no")) ? "" : "+changes");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static string? Git(string arguments)
    {
        using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : null;
    }
}
