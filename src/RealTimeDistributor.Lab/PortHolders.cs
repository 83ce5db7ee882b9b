using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>
/// Before `rtd-lab demo` starts its hosts: each port it is about to give one must be free. A port in use (most often a
/// host left running by a demo that was killed) is one line naming the port, whose it would be, and the process that
/// holds it when /proc says so (Linux: the listening socket's inode in /proc/net/tcp*, found among /proc/PID/fd).
/// </summary>
public static class PortHolders
{
    /// <summary>Throws a <see cref="CommandFailedException"/> naming the first of <paramref name="ports"/> (port, its host's name) in use.</summary>
    public static void EnsureFree(IEnumerable<(int Port, string Host)> ports)
    {
        foreach (var (port, host) in ports)
        {
            if (InUse(port))
            {
                var process = Holder(port);
                var holder = process is { } p ? $"process {p.Pid} ({p.Command})" : "another process";
                var stop = process is { } q ? $"stop it (kill {q.Pid})" : $"find it with `ss -ltnp 'sport = :{port}'`";
                throw new CommandFailedException(
                    $"port {port} ({host}) is in use by {holder}, most likely left running by an earlier demo that did not stop: {stop} and start the demo again");
            }
        }
    }

    /// <summary>Something listens on the loopback port (a connection is accepted), or the port cannot be bound.</summary>
    public static bool InUse(int port)
    {
        using (var probe = new TcpClient())
        {
            try
            {
                probe.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
            }
        }
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>The process listening on <paramref name="port"/>, from /proc; null where /proc cannot say (another OS, no right to read).</summary>
    public static (int Pid, string Command)? Holder(int port)
    {
        try
        {
            var inodes = new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(File.ReadLines)
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(f => f.Length > 9 && f[3] == "0A" && f[1].Split(':') is [_, var hex]
                    && int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var p) && p == port)
                .Select(f => $"socket:[{f[9]}]")
                .ToHashSet();
            if (inodes.Count == 0)
            {
                return null;
            }
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(directory), out var pid))
                {
                    continue;
                }
                try
                {
                    if (Directory.EnumerateFileSystemEntries(Path.Combine(directory, "fd")).Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
                    {
                        var command = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim();
                        return (pid, command.Length > 0 ? command : "?");
                    }
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // gone meanwhile, or not ours to read
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
        }
        return null;
    }
}

/// <summary>
/// SIGINT, SIGTERM and SIGHUP cancel a command's stop token instead of ending the process at once, so that the command
/// stops its children first (the runtime's default for SIGTERM and SIGHUP ends the process without running finally blocks).
/// </summary>
internal sealed class StopSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];

    public StopSignals(CancellationTokenSource stop)
    {
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP })
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, context =>
            {
                context.Cancel = true;
                Received = context.Signal;
                stop.Cancel();
            }));
        }
    }

    /// <summary>The signal that asked the command to stop, if one did.</summary>
    public PosixSignal? Received { get; private set; }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }
    }
}
