using System.Globalization;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>
/// `rtd-lab bench` as README and docs/benchmarks.md write it, on a set-up machine: it logs in as the README's admin
/// users (the broker's RTD_RABBITMQ_ADMIN_USER, the database's RTD_POSTGRES_USER), not as the tests' `rtd` broker user
/// (here given a user that does not exist, to prove it is not used), runs the built benchmarks (no `dotnet run`) and
/// writes the report; a refused admin login is one line and exit code 4 before anything is built or run.
/// </summary>
public sealed class When_an_operator_runs_a_benchmark(ITestOutputHelper log) : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"rtd-bench-{Guid.NewGuid():N}");

    private static Dictionary<string, string> Environment(string adminPassword) => new()
    {
        ["RTD_RABBITMQ_HOST"] = TestSettings.RabbitHost,
        ["RTD_RABBITMQ_PORT"] = TestSettings.RabbitPort.ToString(CultureInfo.InvariantCulture),
        ["RTD_RABBITMQ_MANAGEMENT_PORT"] = TestSettings.RabbitManagementPort.ToString(CultureInfo.InvariantCulture),
        ["RTD_RABBITMQ_ADMIN_USER"] = TestSettings.RabbitAdminUser,
        ["RTD_RABBITMQ_ADMIN_PASSWORD"] = adminPassword,
        // the tests' full-rights user: rtd-lab bench must not need it
        ["RTD_RABBITMQ_USER"] = "no-such-user",
        ["RTD_RABBITMQ_PASSWORD"] = "nope",
        ["RTD_POSTGRES_HOST"] = TestSettings.PostgresHost,
        ["RTD_POSTGRES_PORT"] = TestSettings.PostgresPort,
        ["RTD_POSTGRES_USER"] = TestSettings.PostgresUser,
        ["RTD_POSTGRES_PASSWORD"] = TestSettings.PostgresPassword,
    };

    [Fact]
    public async Task Should_run_the_built_benchmarks_as_the_readmes_admin_users()
    {
        var (code, output, errors) = await CommandRuns.RunAsync("rtd-lab", ["bench", "publish", "--quick", "--out", _out], Environment(TestSettings.RabbitAdminPassword));
        log.WriteLine($"exit {code}\n{output}\n{errors}");

        Assert.True(code == 0, $"rtd-lab bench exited {code}: {output}\n{errors}");
        Assert.Contains($"broker user {TestSettings.RabbitAdminUser}", output, StringComparison.Ordinal);
        Assert.DoesNotContain("dotnet run", output, StringComparison.Ordinal);
        var report = Assert.Single(Directory.GetFiles(_out, "*-quick.md"));
        Assert.Contains("publish", await File.ReadAllTextAsync(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Should_name_a_refused_admin_login_in_one_line()
    {
        var (code, output, errors) = await CommandRuns.RunAsync("rtd-lab", ["bench", "publish", "--quick", "--out", _out], Environment("nope"));
        log.WriteLine($"exit {code}\n{output}\n{errors}");

        var line = Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"'{TestSettings.RabbitAdminUser}'", line, StringComparison.Ordinal);
        Assert.Equal(4, code);
        Assert.False(Directory.Exists(_out));
    }

    public void Dispose()
    {
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }
}
