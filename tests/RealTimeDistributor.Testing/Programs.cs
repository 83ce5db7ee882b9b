using System.Diagnostics;

namespace RealTimeDistributor.Testing;

/// <summary>Runs a program of the machine (initdb, pg_ctl, rabbitmq-server, rabbitmqctl ...) for a test's private server.</summary>
public static class Programs
{
    /// <summary>
    /// Runs <paramref name="file"/> from "/" with <paramref name="environment"/> added and returns its exit code; with
    /// <paramref name="check"/>, fails with its output unless it exits 0.
    /// </summary>
    public static async Task<int> RunAsync(string file, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null, bool check = true)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (check && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await error}");
        }
        return process.ExitCode;
    }
}
