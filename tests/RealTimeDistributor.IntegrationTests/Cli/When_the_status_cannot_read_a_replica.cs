using System.Text.RegularExpressions;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>
/// `rtd status` on the real services while a site's distributor answers but its replica database does not (the link
/// to PostgreSQL cut): the command exits 1 and names the replica and why, and the site's real-time age says the replica
/// does not answer, not "no real-time data yet" (there was data). Before that, a workstation gone away shows how long
/// its queue has had no consumer and when the broker deletes it.
/// </summary>
public sealed class When_the_status_cannot_read_a_replica(ITestOutputHelper output) : SystemTest
{
    private RoleUsers _users = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Rtd.EnsureSiteAsync(Site);
        _users = await CreateRoleUsersAsync([Site]);
    }

    [Fact]
    public async Task Should_exit_non_zero_naming_the_replica_that_does_not_answer()
    {
        var distributor = await StartDistributorBehindDatabaseProxyAsync();
        await Rtd.PublishAsync(RealTimeTables.Agent, ["1001"], version: 1);
        await Eventually.Until(() => Rtd.ReplicaRowCountAsync(Site, RealTimeTables.Agent), n => n == 1, "the real-time row");
        var operatorUser = _users.For("operator");
        string[] args =
        [
            "--central", Rtd.Central.Urls.First(),
            "--sites", $"{Site}={distributor.Urls.First()}",
            "--central-vhost", Rtd.CentralVirtualHost,
            "--management", $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}",
            "--user", operatorUser.User, "--password", operatorUser.Password,
        ];
        await StatusRuns.UntilAsync(output, args, 0, TimeSpan.FromSeconds(60), $@"{Regex.Escape(Site)}: real-time age: agent \d+\.\ds");

        // a workstation that went away: how long its queue has had no consumer, and when the broker deletes it (x-expires)
        await Rtd.StopAsync(await Rtd.StartClientAsync(Site, "ws9"));
        await StatusRuns.UntilAsync(output, args, 0, TimeSpan.FromSeconds(60),
            $@"{Regex.Escape(Site)}: clients: ws9 \d+/0 \(disconnected \d\d:\d\d, the broker deletes its queue at \d\d:\d\d UTC: x-expires 30 min\)");

        DatabaseProxy.Cut();

        var text = await StatusRuns.UntilAsync(output, args, 1, TimeSpan.FromSeconds(60), Regex.Escape($"{Site}: real-time age: - (its replica does not answer: "));
        Assert.DoesNotContain("no real-time data yet", text, StringComparison.Ordinal);
    }
}
