using System.Diagnostics;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>Runs the real distributor executable and checks that bad configuration ends it with a message naming the key or host.</summary>
public sealed class When_a_host_starts_with_bad_configuration
{
    [Fact]
    public async Task Should_name_the_missing_site_key_and_exit_with_a_configuration_error()
    {
        var (exitCode, output) = await RunDistributorAsync(new()
        {
            ["RabbitMq__Password"] = TestSettings.RabbitPassword,
            ["ConnectionStrings__Replica"] = TestSettings.ConnectionString("rtd_unused"),
        });

        Assert.Equal(HostRunner.ConfigurationError, exitCode);
        Assert.Contains("Distributor:Site", output);
        Assert.Contains("Distributor__Site", output);
        Assert.DoesNotContain("   at ", output); // no stack trace
    }

    [Fact]
    public async Task Should_name_the_unreachable_broker_host_and_exit()
    {
        var (exitCode, output) = await RunDistributorAsync(new()
        {
            ["Distributor__Site"] = "site-z",
            ["RabbitMq__Port"] = "1",
            ["RabbitMq__Username"] = TestSettings.RabbitUser,
            ["RabbitMq__Password"] = TestSettings.RabbitPassword,
            ["RabbitMq__ConnectTimeout"] = "00:00:02",
            ["ConnectionStrings__Replica"] = TestSettings.ConnectionString("rtd_unused"),
        });

        Assert.Equal(HostRunner.ServiceUnreachable, exitCode);
        Assert.Contains("RabbitMQ at amqp://127.0.0.1:1/", output);
        Assert.Contains("RabbitMq:Host", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Should_name_the_broker_user_it_was_not_given()
    {
        // no default user: a site's distributor runs as its own role user (roles.conf), never as a full-rights one by omission
        var (exitCode, output) = await RunDistributorAsync(new()
        {
            ["Distributor__Site"] = "site-z",
            ["RabbitMq__Password"] = TestSettings.RabbitPassword,
            ["ConnectionStrings__Replica"] = TestSettings.ConnectionString("rtd_unused"),
        });

        Assert.Equal(HostRunner.ConfigurationError, exitCode);
        Assert.Contains("RabbitMq:Username", output);
        Assert.DoesNotContain("   at ", output);
    }

    [Fact]
    public async Task Should_reject_a_site_id_that_cannot_name_a_vhost()
    {
        var (exitCode, output) = await RunDistributorAsync(new()
        {
            ["Distributor__Site"] = "Site A!",
            ["RabbitMq__Password"] = TestSettings.RabbitPassword,
        });

        Assert.Equal(HostRunner.ConfigurationError, exitCode);
        Assert.Contains("'Distributor:Site'", output);
        Assert.Contains("Site A!", output);
    }

    private static async Task<(int ExitCode, string Output)> RunDistributorAsync(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet", [Binaries.Path("RealTimeDistributor.Distributor")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["Urls"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
