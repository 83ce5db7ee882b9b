using System.Diagnostics;
using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>`rtd client --once --json` is a workstation: it loads the site snapshot (filtered by --bind), prints it and exits.</summary>
public sealed class When_an_operator_prints_the_view_with_rtd_client : IAsyncLifetime
{
    private RtdSystem _system = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        _site = _system.Site("a");
        await _system.StartDistributorAsync(_site);
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    [Fact]
    public async Task Should_print_the_snapshot_as_json_lines_and_exit()
    {
        await _system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" });
        await _system.PutConfigAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        await _system.PublishAsync(RealTimeTables.SkillGroup, ["10", "11"], version: 4);
        await Eventually.Until(() => _system.QueryReplicaAsync<long>(_site, "SELECT site_sequence FROM sync_state"), s => s == 4, "four site updates");

        // the test project references the command line, so it is built next to the client: src/RealTimeDistributor.Cli/bin/.../rtd.dll
        var rtd = Path.Combine(Path.GetDirectoryName(Executables.Path("RealTimeDistributor.Client"))!
            .Replace("RealTimeDistributor.Client", "RealTimeDistributor.Cli", StringComparison.Ordinal), "rtd.dll");
        var start = new ProcessStartInfo("dotnet", [rtd, "client", "--site", _site, "--workstation", "cli", "--bind", "skillgroup.*", "--once", "--json"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["RTD_RABBITMQ_HOST"] = TestSettings.RabbitHost;
        start.Environment["RTD_RABBITMQ_PORT"] = TestSettings.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RTD_RABBITMQ_USER"] = TestSettings.RabbitUser;
        start.Environment["RTD_RABBITMQ_PASSWORD"] = TestSettings.RabbitPassword;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(process.ExitCode == 0, $"rtd client exited {process.ExitCode}: {await output}\n{await errors}");
        var rows = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data")).ToList();
        Assert.Equal(["config:skillgroup:10", "realtime:skillgroup:10", "realtime:skillgroup:11"],
            rows.Select(r => $"{r.GetProperty("kind")}:{r.GetProperty("table")}:{r.GetProperty("key")}"));
        Assert.Equal("Sales", rows[0].GetProperty("value").GetProperty("name").GetString());
        Assert.Equal(4, rows[1].GetProperty("version").GetInt64());
    }
}
