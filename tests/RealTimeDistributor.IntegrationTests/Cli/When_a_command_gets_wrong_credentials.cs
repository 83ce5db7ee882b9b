using System.Diagnostics;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>
/// The built `rtd` and `rtd-lab` against the real broker and center with a login that is refused, a site that does not
/// exist and a workstation already in use: one line on stderr naming the user (or site, or workstation), no stack trace,
/// the exit code of README.md#exit-codes (4 a refused login, 2 an unknown site, 1 a workstation in use), at once.
/// </summary>
public sealed class When_a_command_gets_wrong_credentials(ITestOutputHelper log) : SystemTest
{
    // the site's vhost and a distributor for the live session's snapshot
    protected override bool StartsDistributor => true;

    private static string Management => $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}";

    private static Dictionary<string, string> Broker(string? password = null) => new()
    {
        ["RTD_RABBITMQ_HOST"] = TestSettings.RabbitHost,
        ["RTD_RABBITMQ_PORT"] = TestSettings.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RTD_RABBITMQ_USER"] = TestSettings.RabbitUser,
        ["RTD_RABBITMQ_PASSWORD"] = password ?? TestSettings.RabbitPassword,
    };

    [Fact]
    public async Task Should_name_the_refused_login_of_each_command()
    {
        var central = Rtd.CentralApi.BaseAddress!.ToString();
        await FailsAsync("rtd", ["status", "--management", Management, "--central", central, "--sites", Site, "--password", "nope"], Broker(), 4, "'rtd-operator'");
        await FailsAsync("rtd", ["workstation", "list", "--management", Management, "--user", TestSettings.RabbitAdminUser, "--password", "nope"],
            Broker(), 4, $"'{TestSettings.RabbitAdminUser}'");
        await FailsAsync("rtd", ["errors", "list", "--queue", "rtd.nowhere.distributor.config_error", "--vhost", Rtd.CentralVirtualHost,
            "--host", TestSettings.RabbitHost, "--port", Broker()["RTD_RABBITMQ_PORT"], "--user", TestSettings.RabbitAdminUser, "--password", "nope"],
            Broker(), 4, $"'{TestSettings.RabbitAdminUser}'");
        await FailsAsync("rtd", ["config", "list", "agent", "--central", central], new() { ["RTD_ADMIN_KEY"] = "not-a-key" }, 4, "RTD_ADMIN_KEY");
        // a workstation nobody issued: its own user does not exist
        await FailsAsync("rtd", ["client", "--site", Site, "--workstation", "never-issued", "--once"], Broker(), 4, $"'rtd-{Site}-ws-never-issued'");
        // no workstation: a temporary one, issued with the admin login, which is refused
        await FailsAsync("rtd", ["client", "--site", Site, "--once", "--management", Management],
            new(Broker()) { ["RTD_RABBITMQ_ADMIN_USER"] = TestSettings.RabbitAdminUser, ["RTD_RABBITMQ_ADMIN_PASSWORD"] = "nope" }, 4, $"'{TestSettings.RabbitAdminUser}'");
        await FailsAsync("rtd-lab", ["feed", "record", Path.Combine(Path.GetTempPath(), $"rtd-feed-{Guid.NewGuid():N}.jsonl"), "--duration", "1s"],
            Broker(password: "nope"), 4, "RTD_RABBITMQ_USER");
    }

    [Fact]
    public async Task Should_name_an_unknown_site_and_a_workstation_in_use()
    {
        var asTests = new Dictionary<string, string>(Broker())
        {
            ["RTD_RABBITMQ_WORKSTATION_USER"] = TestSettings.RabbitUser,
            ["RTD_RABBITMQ_WORKSTATION_PASSWORD"] = TestSettings.RabbitPassword,
        };
        await FailsAsync("rtd", ["client", "--site", "no-such-site", "--workstation", "ws1", "--once"], asTests, 2, "no site 'no-such-site'");
        await FailsAsync("rtd", ["errors", "list", "--vhosts", $"{Rtd.CentralVirtualHost},rtd-no-such-site", "--management", Management,
            "--user", TestSettings.RabbitAdminUser, "--password", TestSettings.RabbitAdminPassword], Broker(), 2, "no vhost 'rtd-no-such-site'");

        // a live session of workstation ws1, its queue consumed
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "rtd.dll"), "client", "--site", Site, "--workstation", "ws1", "--json"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in asTests)
        {
            start.Environment[name] = value;
        }
        using var live = Process.Start(start)!;
        try
        {
            var queue = $"rtd.{Site}.client.ws1";
            await Eventually.Until(() => Rtd.Broker.QueueAsync($"rtd-{Site}", queue), q => q is { Consumers: > 0 }, $"{queue} consumed by the live session");

            await FailsAsync("rtd", ["client", "--site", Site, "--workstation", "ws1", "--once"], asTests, 1, "workstation 'ws1'");
        }
        finally
        {
            live.Kill(entireProcessTree: true);
            await live.WaitForExitAsync();
        }
    }

    private async Task FailsAsync(string tool, string[] args, Dictionary<string, string> environment, int expected, string named)
    {
        var (code, output, errors) = await CommandRuns.RunAsync(tool, args, environment);
        log.WriteLine($"{tool} {string.Join(' ', args)} -> exit {code}\n{errors}{output}");

        Assert.DoesNotContain("   at ", errors + output, StringComparison.Ordinal);
        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Equal(expected, code);
    }
}
