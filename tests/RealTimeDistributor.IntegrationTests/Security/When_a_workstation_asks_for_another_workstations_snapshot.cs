using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using RealTimeDistributor.Cli;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.IntegrationTests.Security;

/// <summary>
/// Issue 24, item 6, against the real broker and distributor: a site snapshot request is tied to its sender by the AMQP
/// user_id, which the broker checks against the login. Workstation ws2's request naming ws1's snapshot queue, and a
/// request that names no sender, are refused and counted; ws1's own request is answered into its queue, which then
/// holds that snapshot's chunks alone.
/// </summary>
public sealed class When_a_workstation_asks_for_another_workstations_snapshot : SystemTest
{
    protected override bool StartsDistributor => true;

    private static string Management => $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}";

    public override async Task DisposeAsync()
    {
        foreach (var workstation in new[] { "ws1", "ws2" })
        {
            await IssueAsync("remove", workstation);
        }
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Should_answer_only_the_workstation_that_owns_the_reply_queue()
    {
        var ws1 = await ConnectAsync("ws1", await IssueAsync("add", "ws1"));
        var ws2 = await ConnectAsync("ws2", await IssueAsync("add", "ws2"));
        await using var ws1Channel = await ws1.CreateChannelAsync();
        var ownQueue = Topology.Site.ClientSnapshotQueue(Site, "ws1");
        await ws1Channel.QueueDeclareAsync(ownQueue, durable: false, exclusive: false, autoDelete: true);
        var snapshots = Distributor.Services.GetRequiredService<SnapshotSender>();

        await RequestAsync(ws2, "ws2", ownQueue, Topology.Site.WorkstationUser(Site, "ws2"));
        await RequestAsync(ws1, "ws1", ownQueue, userId: null);
        await Eventually.Until(() => Task.FromResult(snapshots.RequestsRefused), n => n == 2, "both requests refused and counted");

        var answered = await RequestAsync(ws1, "ws1", ownQueue, Topology.Site.WorkstationUser(Site, "ws1"));
        var chunk = await Eventually.Until(async () => await ws1Channel.BasicGetAsync(ownQueue, autoAck: true), m => m is not null, "ws1's snapshot");
        Assert.Equal(answered, JsonSerializer.Deserialize<SnapshotChunk<SiteSnapshotRow>>(chunk!.Body.Span, Json.Options)!.SnapshotId);
        Assert.True(chunk.MessageCount == 0, "only the answered snapshot's one chunk (an empty site) reached ws1's queue");
        Assert.Equal(2, snapshots.RequestsRefused);

        await ws1.DisposeAsync();
        await ws2.DisposeAsync();
    }

    private async Task<Guid> RequestAsync(IConnection connection, string workstation, string replyTo, string? userId)
    {
        var snapshotId = Guid.NewGuid();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var request = new SiteSnapshotRequested(Site, workstation, snapshotId, replyTo, ["#"], DateTimeOffset.UtcNow);
        await channel.BasicPublishAsync(Topology.Site.SnapshotRequests(Site).Exchange, "snapshot", true,
            new BasicProperties { ContentType = "application/json", UserId = userId }, Json.Serialize(request));
        return snapshotId;
    }

    private async Task<IConnection> ConnectAsync(string workstation, string password) => await new ConnectionFactory
    {
        HostName = TestSettings.RabbitHost,
        Port = TestSettings.RabbitPort,
        UserName = Topology.Site.WorkstationUser(Site, workstation),
        Password = password,
        VirtualHost = Topology.Site.VirtualHost(Site),
        AutomaticRecoveryEnabled = false,
    }.CreateConnectionAsync();

    /// <summary>`rtd workstation add|remove SITE WS` in this process: add prints the new password.</summary>
    private async Task<string> IssueAsync(string verb, string workstation)
    {
        using var output = new StringWriter();
        try
        {
            await WorkstationCommand.RunAsync(Options.Parse([verb, Site, workstation, "--management", Management,
                "--user", TestSettings.RabbitAdminUser, "--password", TestSettings.RabbitAdminPassword]), output);
        }
        catch (CommandFailedException) when (verb == "remove")
        {
            // not issued: nothing to remove
        }
        return output.ToString().Trim();
    }
}
