using System.Text.Json;
using RealTimeDistributor.Cli;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Cli;

/// <summary>`rtd errors list|replay` on a poison change the distributor parked in its error queue.</summary>
public sealed class When_an_operator_replays_the_error_queue(ITestOutputHelper output) : SystemTest
{
    private string ConfigQueue => Topology.Central.DistributorConfigQueue(Site);

    private string ErrorQueue => Topology.ErrorQueue(ConfigQueue);

    protected override bool StartsDistributor => true;

    [Fact]
    public async Task Should_list_the_parked_change_with_its_reason_leave_it_there_and_replay_it_to_its_queue()
    {
        await Rtd.PublishToCentralConfigAsync(new ConfigChanged(1, 0, "nonsense", ConfigOperations.Upsert, "7",
            JsonDocument.Parse("{}").RootElement, DateTimeOffset.UtcNow));
        await Eventually.Until(() => QueueReader.ReadyAsync(Rtd.CentralVirtualHost, ErrorQueue), n => n == 1, "the poison change in the error queue");
        await Eventually.Until(() => Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, ErrorQueue), q => q is { Messages: 1 },
            "the error queue's depth in the management API");

        var (code, text) = await ErrorsAsync("list", "--vhosts", $"{Rtd.CentralVirtualHost},{Topology.Site.VirtualHost(Site)}");
        Assert.Equal(0, code);
        Assert.Matches($@"{Rtd.CentralVirtualHost} +{ErrorQueue.Replace(".", @"\.", StringComparison.Ordinal)} +1 +0", text);

        (code, text) = await ErrorsAsync("list", "--queue", ErrorQueue);
        Assert.Equal(0, code);
        Assert.Contains("message id test-1, sequence 1, routing key 'nonsense.upsert'", text, StringComparison.Ordinal);
        Assert.Contains("reason: Unknown configuration table 'nonsense'", text, StringComparison.Ordinal);
        Assert.Contains("PoisonMessageException", text, StringComparison.Ordinal);
        Assert.Equal(1u, await QueueReader.ReadyAsync(Rtd.CentralVirtualHost, ErrorQueue)); // listing took nothing away

        // with the distributor stopped, the replayed change waits in its queue where we can look at it
        await Rtd.StopAsync(Distributor);
        (code, text) = await ErrorsAsync("replay", "--queue", ErrorQueue, "--vhost", Rtd.CentralVirtualHost);
        Assert.Equal(0, code);
        Assert.Contains($"1 of 1 messages moved from {Rtd.CentralVirtualHost}/{ErrorQueue} back to {ConfigQueue}", text, StringComparison.Ordinal);
        Assert.Equal(0u, await QueueReader.ReadyAsync(Rtd.CentralVirtualHost, ErrorQueue));
        var replayed = await QueueReader.PeekAsync(Rtd.CentralVirtualHost, ConfigQueue, TimeSpan.FromSeconds(30));
        Assert.NotNull(replayed);
        Assert.Contains("\"table\":\"nonsense\"", replayed.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("MT-Fault-Message", replayed.Headers.Keys);

        // a restarted distributor takes it again: still poison, so it is parked again with its reason (nothing lost)
        await Rtd.StartDistributorAsync(Site);
        await Eventually.Until(() => QueueReader.ReadyAsync(Rtd.CentralVirtualHost, ErrorQueue), n => n == 1, "the change parked again");
        Assert.Equal(0u, await QueueReader.ReadyAsync(Rtd.CentralVirtualHost, ConfigQueue));
    }

    [Fact]
    public async Task Should_name_the_problem_when_the_queue_is_not_a_parking_queue_or_does_not_exist()
    {
        var usage = await Assert.ThrowsAsync<UsageException>(() => ErrorsAsync("replay", "--queue", ConfigQueue));
        Assert.Contains("ends in _error or _skipped", usage.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<CommandFailedException>(() => ErrorsAsync("list", "--queue", "rtd.nowhere.distributor.config_error",
            "--vhost", Rtd.CentralVirtualHost));
        Assert.Contains($"no queue 'rtd.nowhere.distributor.config_error' in vhost {Rtd.CentralVirtualHost}", missing.Message, StringComparison.Ordinal);
        var count = await Assert.ThrowsAsync<UsageException>(() => ErrorsAsync("replay", "--queue", ErrorQueue, "--count", "0"));
        Assert.Contains("--count is '0'", count.Message, StringComparison.Ordinal);
    }

    private async Task<(int Code, string Text)> ErrorsAsync(params string[] args)
    {
        string[] all =
        [
            .. args,
            "--management", $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}",
            "--host", TestSettings.RabbitHost, "--port", TestSettings.RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--user", TestSettings.RabbitAdminUser, "--password", TestSettings.RabbitAdminPassword,
        ];
        using var writer = new StringWriter();
        var code = await ErrorsCommand.RunAsync(Options.Parse(all), writer);
        output.WriteLine($"rtd errors {string.Join(' ', args)} -> exit {code}");
        output.WriteLine(writer.ToString());
        return (code, writer.ToString());
    }
}
