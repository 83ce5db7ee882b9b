using Xunit.Abstractions;
using static RealTimeDistributor.Testing.CommandRuns;

namespace RealTimeDistributor.Tests.Cli;

/// <summary>
/// Every command of `rtd` and `rtd-lab`, run as built, with bad input: unknown commands and options, values and files
/// that are wrong, hosts that do not answer (a closed loopback port). Each failure is exactly one line on stderr, never a
/// stack trace, with the exit code of README.md#exit-codes: 1 refused or failed, 2 bad input, 3 a service does not
/// answer. `--help` at every level prints that command's usage and exits 0. Wrong credentials need the real broker:
/// IntegrationTests/Cli/When_a_command_gets_wrong_credentials.
/// </summary>
public sealed class When_a_command_gets_bad_input(ITestOutputHelper log) : IDisposable
{
    private static readonly string Closed = $"http://127.0.0.1:{ClosedPort}";
    private readonly string _directory = Directory.CreateTempSubdirectory("rtd-cli-").FullName;

    public static TheoryData<string, string[]> Help => new()
    {
        { "rtd", ["--help"] }, { "rtd", ["config", "--help"] }, { "rtd", ["config", "list", "--help"] }, { "rtd", ["config", "import", "--help"] },
        { "rtd", ["status", "--help"] }, { "rtd", ["errors", "--help"] }, { "rtd", ["errors", "replay", "--help"] }, { "rtd", ["client", "--help"] },
        { "rtd", ["workstation", "--help"] }, { "rtd", ["workstation", "add", "--help"] },
        { "rtd-lab", ["--help"] }, { "rtd-lab", ["demo", "--help"] }, { "rtd-lab", ["wan", "--help"] }, { "rtd-lab", ["wan", "cut", "--help"] },
        { "rtd-lab", ["simulate", "--help"] }, { "rtd-lab", ["feed", "replay", "--help"] }, { "rtd-lab", ["bench", "--help"] }, { "rtd-lab", ["chaos", "--help"] },
    };

    [Theory]
    [MemberData(nameof(Help))]
    public async Task Should_print_the_usage_of_the_command_asked_about(string tool, string[] args)
    {
        var (code, output, errors) = await RunAsync(tool, args);

        Assert.True(code == 0, $"exit {code}: {errors}");
        Assert.Equal("", errors);
        Assert.Contains($"{tool} {string.Join(' ', args[..^1])}".Trim(), output, StringComparison.Ordinal);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rtd", "client", "--workstation")]
    [InlineData("rtd", "status", "--max-realtime-age")]
    [InlineData("rtd", "config export", "--format")]
    [InlineData("rtd", "errors list", "--vhosts")]
    [InlineData("rtd", "workstation add", "--workstation-password")]
    [InlineData("rtd-lab", "demo", "--agents")]
    [InlineData("rtd-lab", "chaos", "--scenario")]
    [InlineData("rtd-lab", "simulate", "--calls-per-second")]
    public async Task Should_list_the_options_the_docs_use(string tool, string command, string option)
    {
        var (code, output, errors) = await RunAsync(tool, [.. command.Split(' '), "--help"]);

        Assert.True(code == 0, $"exit {code}: {errors}");
        Assert.Contains(option, output, StringComparison.Ordinal);
    }

    public static TheoryData<string, string[], int, string> Failures()
    {
        var c = Closed;
        return new()
        {
            // parsing: unknown commands and options get a suggestion
            { "rtd", [], 2, "Required command" },
            { "rtd", ["confg"], 2, "did you mean config" },
            { "rtd", ["demo", "--agents", "5"], 2, "'demo'" },
            { "rtd", ["config", "lst", "agent"], 2, "did you mean list" },
            { "rtd", ["status", "--max-behnd", "1"], 2, "did you mean --max-behind" },
            { "rtd", ["client", "--site"], 2, "--site" },
            { "rtd", ["workstation", "remove", "site-a"], 2, "ws" },
            // rtd config: the admin API at a closed port, an unknown table, files missing or malformed
            { "rtd", ["config", "list", "agent", "--central", c], 3, c },
            { "rtd", ["config", "list", "agnt", "--central", c], 2, "no table 'agnt'" },
            { "rtd", ["config", "get", "agent", "1", "--central", c], 3, c },
            { "rtd", ["config", "put", "agent", "1", "{}", "--central", c], 3, c },
            { "rtd", ["config", "delete", "skilgroup", "1", "--central", c], 2, "skilgroup" },
            { "rtd", ["config", "export", "--table", "agnt", "--central", c], 2, "agnt" },
            { "rtd", ["config", "export", "--central", c], 3, c },
            { "rtd", ["config", "import", "{dir}/missing.json", "--central", c], 2, "missing.json" },
            { "rtd", ["config", "import", "{dir}/bad.json", "--central", c], 2, "bad.json" },
            { "rtd", ["config", "import", "{dir}/agent.csv", "--central", c], 2, "colour" },
            { "rtd", ["config", "import", "{dir}/bad.json", "--batch-size", "0", "--central", c], 2, "--batch-size" },
            // rtd status: each source it reads at a closed port is named; a malformed threshold
            { "rtd", ["status", "--central", c, "--management", c, "--sites", $"site-a={c}"], 1, "the distributor of site-a" },
            { "rtd", ["status", "--max-realtime-age", "5x"], 2, "--max-realtime-age" },
            { "rtd", ["status", "--max-behind", "-1"], 2, "--max-behind" },
            // rtd errors
            { "rtd", ["errors", "list", "--management", c], 3, c },
            { "rtd", ["errors", "list", "--queue", "rtd.x.distributor.config_error", "--vhost", "rtd-central"], 3, $"127.0.0.1:{ClosedPort}" },
            { "rtd", ["errors", "list", "--queue", "not-a-parking-queue", "--management", c], 2, "not-a-parking-queue" },
            { "rtd", ["errors", "replay", "--management", c], 2, "--queue" },
            { "rtd", ["errors", "list", "--count", "none", "--management", c], 2, "--count" },
            // rtd client: no workstation and no admin password (for a temporary workstation user), a malformed site, the broker at a closed port
            { "rtd", ["client", "--site", "site-a"], 2, "RTD_RABBITMQ_ADMIN_PASSWORD" },
            { "rtd", ["client", "--site", "Site A", "--workstation", "ws1"], 2, "Site A" },
            { "rtd", ["client", "--site", "site-a", "--workstation", "ws1", "--stale-after", "soon"], 2, "--stale-after" },
            { "rtd", ["client", "--site", "site-a", "--workstation", "ws1", "--once"], 3, $"127.0.0.1:{ClosedPort}" },
            // rtd workstation
            { "rtd", ["workstation", "add", "site-a", "ws1", "--management", c], 3, c },
            { "rtd", ["workstation", "add", "Site_A", "ws1", "--management", c], 2, "Site_A" },
            { "rtd", ["workstation", "remove", "site-a", "ws1", "--management", c], 3, c },
            { "rtd", ["workstation", "list", "--management", c], 3, c },
            // rtd-lab
            { "rtd-lab", ["demo", "--agnets", "5"], 2, "did you mean --agents" },
            { "rtd-lab", ["demo", "--duration", "5x"], 2, "--duration" },
            { "rtd-lab", ["demo", "--sites", "0"], 2, "--sites" },
            { "rtd-lab", ["wan", "cut", "nosuch"], 1, "nosuch" },
            { "rtd-lab", ["wan", "cut", "nosuch", "--mode", "sideways"], 2, "sideways" },
            { "rtd-lab", ["wan", "latency", "nosuch", "soon"], 2, "latency" },
            { "rtd-lab", ["wan", "proxy", "x", "--listen", "nohost", "--to", "127.0.0.1:9"], 2, "nohost" },
            { "rtd-lab", ["simulate"], 2, "--peripheral" },
            { "rtd-lab", ["simulate", "--peripheral", "1", "--central", c], 3, $"127.0.0.1:{ClosedPort}" },
            { "rtd-lab", ["feed", "replay", "{dir}/missing.jsonl"], 2, "missing.jsonl" },
            { "rtd-lab", ["feed", "replay", "{dir}/bad.json"], 2, "bad.json line 1" },
            { "rtd-lab", ["feed", "replay", "{dir}/bad.json", "--speed", "0.5x"], 2, "--speed" },
            { "rtd-lab", ["feed", "record", "{dir}/feed.jsonl", "--duration", "1s"], 3, $"127.0.0.1:{ClosedPort}" },
            { "rtd-lab", ["chaos", "--scenario", "nosuch"], 2, "nosuch" },
            { "rtd-lab", ["chaos", "--sites", "9"], 2, "--sites" },
            { "rtd-lab", ["bench", "--quik"], 2, "did you mean --quick" },
            // rtd-lab bench logs in as the README's admin users: without their passwords it says which one, before any build
            { "rtd-lab", ["bench", "publish", "--quick"], 2, "RTD_RABBITMQ_ADMIN_PASSWORD" },
        };
    }

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Should_fail_in_one_line_naming_what_failed(string tool, string[] args, int expected, string named)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "bad.json"), "{ not json");
        await File.WriteAllTextAsync(Path.Combine(_directory, "agent.csv"), "id,name,colour\n1,Ann,blue\n");
        args = [.. args.Select(a => a.Replace("{dir}", _directory, StringComparison.Ordinal))];

        var (code, output, errors) = await RunAsync(tool, args, new Dictionary<string, string> { ["RTD_WAN_DIR"] = _directory });
        log.WriteLine($"{tool} {string.Join(' ', args)} -> exit {code}\n{errors}{output}");

        Assert.DoesNotContain("   at ", errors + output, StringComparison.Ordinal);
        var line = Assert.Single(Lines(errors));
        Assert.StartsWith($"{tool}", line, StringComparison.Ordinal);
        Assert.Contains(named, line, StringComparison.Ordinal);
        Assert.Equal(expected, code);
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
