using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// `rtd client --once --json` is a workstation: it loads the site snapshot (filtered by --bind), prints it and exits,
/// leaving no queue or exchange behind; `--table` prints one table with a column per field; SIGTERM ends the live view.
/// Without --workstation it issues itself a temporary workstation user and deletes it (and those killed sessions left).
/// </summary>
public sealed class When_an_operator_prints_the_view_with_rtd_client : SystemTest
{
    protected override bool StartsDistributor => true;

    [Fact]
    public async Task Should_print_the_snapshot_as_json_lines_and_exit()
    {
        await SeedSalesRowsAsync(version: 4, "10", "11");

        // the test project references the command line, so it is built next to the client: src/RealTimeDistributor.Cli/bin/.../rtd.dll
        var (output, _) = await RunOnceAsync(["client", "--site", Site, "--bind", "skillgroup.*", "--once", "--json"]);

        // no --workstation: a temporary client, its queues and exchanges gone with it
        Assert.DoesNotContain(await Rtd.Broker.NamesAsync($"rtd-{Site}"), n => n.Contains(".client.cli-", StringComparison.Ordinal));
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data")).ToList();
        Assert.Equal(["config:skillgroup:10", "realtime:skillgroup:10", "realtime:skillgroup:11"],
            rows.Select(r => $"{r.GetProperty("kind")}:{r.GetProperty("table")}:{r.GetProperty("key")}"));
        Assert.Equal("Sales", rows[0].GetProperty("value").GetProperty("name").GetString());
        Assert.Equal(4, rows[1].GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task Should_print_one_table_with_names_and_end_the_live_view_on_sigterm()
    {
        await SeedSalesRowsAsync(version: 3, "10");

        var (output, _) = await RunOnceAsync(["client", "--site", Site, "--table", "skillgroup", "--once"]);
        var lines = output.Split('\n');
        // the live rows come first (issue 26), under their own title line, then the configuration's
        var header = Array.FindIndex(lines, l => l.StartsWith("realtime skillgroup:", StringComparison.Ordinal)) + 1;
        Assert.True(header > 0 && lines[header].StartsWith("key ", StringComparison.Ordinal) && lines[header].Contains(" name ", StringComparison.Ordinal),
            output);
        Assert.Matches(@"^10\s+Sales\s+3\s*$", lines[header + 1]);

        // no --workstation and no workstation user: a temporary one, issued with the admin credentials, gone on SIGTERM
        var (live, _, _) = RunRtd(["client", "--site", Site], temporary: true);
        using var __ = live;
        var text = new System.Text.StringBuilder();
        // the first frame: the summary's skill group line, with the name from the configuration
        while (!Regex.IsMatch(text.ToString(), @"SKILL GROUPS[^\n]*\n\s*Sales ") && !live.HasExited)
        {
            var buffer = new char[4096];
            var read = await live.StandardOutput.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            text.Append(buffer, 0, read);
        }
        Assert.False(live.HasExited, text.ToString());
        var stopwatch = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", live.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
        {
            await kill.WaitForExitAsync();
        }
        await live.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Console.WriteLine($"rtd client ended {stopwatch.ElapsedMilliseconds} ms after SIGTERM");
        Assert.Equal(0, live.ExitCode);
        Assert.DoesNotContain(await Rtd.Broker.NamesAsync($"rtd-{Site}"), n => n.Contains(".client.cli-", StringComparison.Ordinal));
        Assert.DoesNotContain(await Rtd.Broker.UserNamesAsync(), n => n.StartsWith($"rtd-{Site}-ws-cli-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Should_run_without_a_workstation_as_a_temporary_user_and_leave_no_user_behind()
    {
        await SeedSalesRowsAsync(version: 3, "10");
        // what a session killed with -9 leaves: its temporary user, issued long ago (the name carries the issue time), no connection
        var left = $"rtd-{Site}-ws-cli-00000001-000000";
        await Rtd.Broker.PutUserAsync(left, "left-by-kill-9");

        var (output, errors) = await RunOnceAsync(["client", "--site", Site, "--once"], temporary: true);
        // the view, logged in as a workstation user of its own
        Assert.Matches($@"workstation cli-[0-9a-f]{{8}}-[0-9a-f]{{6}} ", output);
        Assert.Matches(@"\n\s*Sales ", output);
        // nothing left: no temporary user (neither its own nor the killed session's), no queue or exchange of it
        Assert.DoesNotContain(await Rtd.Broker.UserNamesAsync(), n => n.StartsWith($"rtd-{Site}-ws-cli-", StringComparison.Ordinal));
        Assert.DoesNotContain(await Rtd.Broker.NamesAsync($"rtd-{Site}"), n => n.Contains(".client.cli-", StringComparison.Ordinal));
        Assert.Contains(left, errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_print_once_a_workstation_whose_earlier_session_left_its_exchange()
    {
        await SeedSalesRowsAsync(version: 3, "10");
        // a live session's durable exchange in front of its queue outlives the queue's expiry (issue 26: the --once
        // session declared a transient one, the broker refused it, the bus retried 30 s and the command crashed)
        var queue = $"rtd.{Site}.client.ws9";
        var connection = await TestSettings.RabbitConnection($"rtd-{Site}").CreateConnectionAsync();
        await using (connection)
        {
            await using var channel = await connection.CreateChannelAsync();
            await channel.ExchangeDeclareAsync(queue, "fanout", durable: true, autoDelete: false);
        }

        var (output, _) = await RunOnceAsync(["client", "--site", Site, "--workstation", "ws9", "--once", "--json"]);
        Assert.Contains("\"name\":\"Sales\"", output, StringComparison.Ordinal);
        // its temporary queue and exchange went with it
        Assert.DoesNotContain(await Rtd.Broker.NamesAsync($"rtd-{Site}"), n => n.StartsWith(queue, StringComparison.Ordinal));
    }

    /// <summary>Skill group 10 ("Sales", peripheral 1) and its real-time rows <paramref name="keys"/> at <paramref name="version"/>, held by the replica.</summary>
    private async Task SeedSalesRowsAsync(long version, params string[] keys)
    {
        await SeedSalesAsync();
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, keys, version: version);
        await Rtd.WaitReplicaHoldsAsync(Site, applied: 2, realTimeRows: keys.Length, version: version, table: "skillgroup");
    }

    /// <summary>Runs rtd (<see cref="RunRtd"/>) to its end, which must be exit code 0; its output and errors.</summary>
    private static async Task<(string Output, string Errors)> RunOnceAsync(string[] args, bool temporary = false)
    {
        var (process, output, errors) = RunRtd(args, temporary);
        using (process)
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(process.ExitCode == 0, $"rtd client exited {process.ExitCode}: {await output}\n{await errors}");
        }
        return (await output, await errors);
    }

    /// <summary>
    /// Starts rtd with this system's broker (the test project references the command line, so it is built next to the
    /// client: src/RealTimeDistributor.Cli/bin/.../rtd.dll). Returns the process and, for --once runs, its whole output.
    /// <paramref name="temporary"/>: no workstation user given, only the admin credentials (a temporary workstation user).
    /// </summary>
    private static (Process Process, Task<string> Output, Task<string> Errors) RunRtd(string[] args, bool temporary)
    {
        var rtd = Path.Combine(Path.GetDirectoryName(Binaries.Path("RealTimeDistributor.Client"))!
            .Replace("RealTimeDistributor.Client", "RealTimeDistributor.Cli", StringComparison.Ordinal), "rtd.dll");
        var start = new ProcessStartInfo("dotnet", [rtd, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        TestSettings.SetBrokerEnvironment(start);
        if (temporary)
        {
            start.Environment.Remove("RTD_RABBITMQ_WORKSTATION_USER");
            start.Environment.Remove("RTD_RABBITMQ_WORKSTATION_PASSWORD");
            start.Environment["RTD_RABBITMQ_ADMIN_USER"] = TestSettings.RabbitAdminUser;
            start.Environment["RTD_RABBITMQ_ADMIN_PASSWORD"] = TestSettings.RabbitAdminPassword;
            start.ArgumentList.Add("--management");
            start.ArgumentList.Add($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}");
        }
        var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var output = args.Contains("--once") ? process.StandardOutput.ReadToEndAsync() : Task.FromResult("");
        return (process, output, errors);
    }
}
