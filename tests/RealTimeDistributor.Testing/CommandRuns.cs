using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace RealTimeDistributor.Testing;

/// <summary>
/// Runs the built `rtd` or `rtd-lab` (copied next to the tests: the test project references both) as an operator would,
/// with a clean environment of its own (no RTD_* variable but the broker's, a closed port unless given), and returns its
/// exit code and output. The fast tests (bad input) and the integration tests (wrong credentials) use it.
/// </summary>
public static class CommandRuns
{
    /// <summary>A loopback port nothing listens on: bound once by the system, then released.</summary>
    public static readonly int ClosedPort = FreePort();

    public static async Task<(int Code, string Output, string Errors)> RunAsync(string tool, IReadOnlyList<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, $"{tool}.dll"), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("RTD_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(name);
        }
        // unless told otherwise, nothing the commands reach by default answers: the broker is at a closed port
        start.Environment["RTD_RABBITMQ_HOST"] = "127.0.0.1";
        start.Environment["RTD_RABBITMQ_PORT"] = ClosedPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not exit within 60 s: {await output} {await errors}");
        }
        return (process.ExitCode, await output, await errors);
    }

    /// <summary>A TCP port on 127.0.0.1 that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
