using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Lab;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>
/// `rtd-lab demo` on the real services, small (one site, 20 agents): SIGTERM stops every process it started and frees
/// their ports; and a port already held (as by a host a killed demo left behind) is named with its holder at the next
/// start, in one line, before anything is reset or started. A site queue an earlier demo left in the central vhost is
/// deleted at start.
/// </summary>
[Collection("demo ports")]
public sealed class When_the_demo_is_stopped(ITestOutputHelper log)
{
    private static readonly int[] Ports = [5080, 5081, 5090];

    [Fact]
    public async Task Should_stop_every_child_on_sigterm_and_free_their_ports()
    {
        Assert.All(Ports, port => Assert.False(PortHolders.InUse(port), $"port {port} is in use before the test: {PortHolders.Holder(port)}"));
        // the demo's workstation credential, as infra/demo.sh issues it
        await RunAsync(Repository.PathOf("infra/rabbitmq/workstation.sh"), ["add", "site-a", "ws1"],
            new() { ["RTD_RABBITMQ_WORKSTATION_PASSWORD"] = "local-demo-workstation", ["RTD_ALLOW_DEMO_SECRETS"] = "1" });

        // a site queue of an earlier demo, with a parked change: the new demo's reset center never committed it
        const string Leftover = "rtd.demo-left.distributor.config_error";
        await using (var connection = await TestSettings.RabbitConnection(Topology.Central.VirtualHost).CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            await channel.QueueDeclareAsync(Leftover, durable: true, exclusive: false, autoDelete: false);
            await channel.BasicPublishAsync("", Leftover, true, new RabbitMQ.Client.BasicProperties(), "{}"u8.ToArray());
        }
        await Eventually.Until(() => QueueReader.ReadyAsync(Topology.Central.VirtualHost, Leftover), n => n == 1, "the leftover parked change");
        // the demo names the count the management API shows, whose statistics lag the queue by a few seconds
        using (var management = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/api/") })
        {
            management.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
                $"{TestSettings.RabbitAdminUser}:{TestSettings.RabbitAdminPassword}")));
            await Eventually.Until(async () => (await management.GetFromJsonAsync<System.Text.Json.JsonElement>(
                    $"queues/{Uri.EscapeDataString(Topology.Central.VirtualHost)}/{Leftover}")).TryGetProperty("messages", out var count) ? count.GetInt64() : -1,
                n => n == 1, "the management API's count of the leftover parked change");
        }

        var folder = Directory.CreateTempSubdirectory("rtd-demo-test-").FullName;
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "rtd-lab.dll"), "demo", "--sites", "1", "--agents", "20"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.Environment["RTD_RABBITMQ_HOST"] = TestSettings.RabbitHost;
        start.Environment["RTD_RABBITMQ_PORT"] = TestSettings.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var demo = Process.Start(start)!;
        var output = demo.StandardOutput.ReadToEndAsync();
        var errors = demo.StandardError.ReadToEndAsync();
        try
        {
            // running: its hosts (central, distributor, client) and the gateway started, the hosts' ports bound
            var children = new List<int>();
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(180);
            while (!demo.HasExited && DateTimeOffset.UtcNow < deadline && ((children = ChildrenOf(demo.Id)).Count < 4 || !Ports.All(PortHolders.InUse)))
            {
                await Task.Delay(500);
            }
            if (demo.HasExited)
            {
                Assert.Fail($"the demo exited during start: {await errors}");
            }
            log.WriteLine($"demo {demo.Id}, children {string.Join(", ", children)}");
            Assert.True(children.Count >= 4, $"central, distributor, client and gateway expected, found {children.Count}");
            Assert.All(Ports, port => Assert.True(PortHolders.InUse(port), $"port {port} is not in use while the demo runs"));

            Signal(demo.Id, "-TERM");
            await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(150));
            log.WriteLine(await output);
            Assert.Equal(0, demo.ExitCode);
            Assert.Contains("SIGTERM: stopping the demo processes", await output, StringComparison.Ordinal);
            Assert.Contains($"deleted {Topology.Central.VirtualHost}/{Leftover} of an earlier demo (1 messages)", await output, StringComparison.Ordinal);
            Assert.Equal(0u, await QueueReader.ReadyAsync(Topology.Central.VirtualHost, Leftover));

            Assert.All(children, pid => Assert.False(Alive(pid), $"process {pid} of the demo outlived it"));
            Assert.All(Ports, port => Assert.False(PortHolders.InUse(port), $"port {port} is still in use after the demo: {PortHolders.Holder(port)}"));
        }
        finally
        {
            if (!demo.HasExited)
            {
                demo.Kill(entireProcessTree: true);
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Should_name_a_port_in_use_and_its_holder_at_start()
    {
        using var holder = new TcpListener(IPAddress.Loopback, 5080);
        holder.Start();

        var (code, output, errors) = await CommandRuns.RunAsync("rtd-lab", ["demo", "--sites", "1", "--agents", "20"]);

        Assert.Equal(1, code);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"port 5080 (the central controller's) is in use by process {Environment.ProcessId} (", line, StringComparison.Ordinal);
        Assert.Contains($"kill {Environment.ProcessId}", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + errors, StringComparison.Ordinal);
    }

    /// <summary>The processes whose parent is <paramref name="pid"/> (field 4 of /proc/PID/stat).</summary>
    private static List<int> ChildrenOf(int pid) =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
            .Where(p => p > 0 && ParentOf(p) == pid)];

    private static int? ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Running (a zombie, state Z, has exited).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static void Signal(int pid, string signal)
    {
        using var kill = Process.Start("kill", [signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static async Task RunAsync(string file, string[] args, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}");
    }
}
