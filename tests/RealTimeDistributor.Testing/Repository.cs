using System.Diagnostics;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Testing;

/// <summary>
/// The repository this assembly was built in (rtd, or a test or benchmark that references it): its root, its files and
/// its infra scripts. The one place that finds the root and runs a script, for rtd-lab chaos, rtd-lab bench and the tests.
/// </summary>
public static class Repository
{
    /// <summary>The folder of RealTimeDistributor.sln above this assembly, else null (an rtd installed elsewhere).</summary>
    public static string? Root()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "RealTimeDistributor.sln")))
        {
            root = root.Parent;
        }
        return root?.FullName;
    }

    /// <summary>A file of the repository by its path from the root (infra/rabbitmq/roles.conf).</summary>
    public static string PathOf(string relative) =>
        Path.Combine(Root() ?? throw new CommandFailedException($"{relative} is not at hand: RealTimeDistributor.sln not found above {AppContext.BaseDirectory}"),
            relative);

    /// <summary>
    /// Runs a script of the repository (infra/rabbitmq/node.sh ...) and returns its output, or fails with it. The script
    /// starts with every inherited file descriptor above 2 closed: a daemon it starts must not keep a lock its starter
    /// holds (a test run under flock).
    /// </summary>
    public static async Task<string> ScriptAsync(string script, params string[] args)
    {
        var closeInherited = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done; exec \"$0\" \"$@\"";
        var start = new ProcessStartInfo("bash", ["-c", closeInherited, PathOf(script), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0
            ? await output
            : throw new CommandFailedException($"{script} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
    }
}
