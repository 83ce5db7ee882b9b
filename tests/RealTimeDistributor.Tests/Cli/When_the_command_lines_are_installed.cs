using System.Diagnostics;
using System.Reflection;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.Tests.Cli;

/// <summary>
/// infra/install-cli.sh, as README's set-up runs it, into a temporary folder (RTD_BIN) with this test's own build
/// (RTD_CONFIGURATION, so nothing is built): it writes `rtd` and `rtd-lab`, and each, run from a shell by that path,
/// prints its usage and exits 0; run twice it changes nothing but the wrappers (idempotent).
/// </summary>
public sealed class When_the_command_lines_are_installed : IDisposable
{
    private readonly string _bin = Path.Combine(Path.GetTempPath(), $"rtd-bin-{Guid.NewGuid():N}");

    [Fact]
    public async Task Should_put_working_rtd_and_rtd_lab_into_the_folder()
    {
        var configuration = typeof(When_the_command_lines_are_installed).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        for (var run = 0; run < 2; run++)
        {
            var (code, output) = await RunAsync("bash", [Repository.PathOf("infra/install-cli.sh")], configuration);
            Assert.True(code == 0, output);
            Assert.Contains($"rtd and rtd-lab are in {_bin}", output, StringComparison.Ordinal);
            Assert.DoesNotContain("building", output, StringComparison.Ordinal);
        }
        Assert.Equal(["rtd", "rtd-lab"], Directory.GetFiles(_bin).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var (rtd, rtdHelp) = await RunAsync(Path.Combine(_bin, "rtd"), ["--help"], configuration);
        Assert.True(rtd == 0, rtdHelp);
        Assert.Contains("rtd: RealTimeDistributor operator tools", rtdHelp, StringComparison.Ordinal);
        var (lab, labHelp) = await RunAsync(Path.Combine(_bin, "rtd-lab"), ["bench", "--help"], configuration);
        Assert.True(lab == 0, labHelp);
        Assert.Contains("--quick", labHelp, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output)> RunAsync(string file, string[] args, string configuration)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["RTD_BIN"] = _bin;
        start.Environment["RTD_CONFIGURATION"] = configuration;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output + await errors);
    }

    public void Dispose()
    {
        if (Directory.Exists(_bin))
        {
            Directory.Delete(_bin, recursive: true);
        }
    }
}
