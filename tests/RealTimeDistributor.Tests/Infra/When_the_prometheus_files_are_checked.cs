using System.ComponentModel;
using System.Diagnostics;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.Tests.Infra;

/// <summary>
/// infra/prometheus with promtool (the apt package prometheus, which infra/services-up.sh installs): the configuration and
/// the rules are valid, and each alert of rules.yml fires on the made-up series of rules.test.yml, and only there.
/// </summary>
public sealed class When_the_prometheus_files_are_checked
{
    [Theory]
    [InlineData("check", "config", "prometheus.yml")]
    [InlineData("check", "rules", "rules.yml")]
    [InlineData("test", "rules", "rules.test.yml")]
    public async Task Should_pass_promtool(params string[] args)
    {
        var (code, output) = await PromtoolAsync(args);
        Assert.True(code == 0, $"promtool {string.Join(' ', args)} exited with {code}:\n{output}");
    }

    private static async Task<(int Code, string Output)> PromtoolAsync(string[] args)
    {
        var start = new ProcessStartInfo("promtool", args)
        {
            WorkingDirectory = Repository.PathOf("infra/prometheus"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception exception)
        {
            throw new InvalidOperationException("promtool is not installed: infra/services-up.sh installs it (apt package prometheus)", exception);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await error);
        }
    }
}
