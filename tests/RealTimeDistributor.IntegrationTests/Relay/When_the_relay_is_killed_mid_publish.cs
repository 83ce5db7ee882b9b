using System.Diagnostics;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Relay;

/// <summary>
/// The change-log relay runs in the central controller process; it is SIGKILLed while publishing a backlog, and the
/// restarted process resumes from what it recorded: every change reaches the exchange (duplicates allowed, none missing).
/// </summary>
public sealed class When_the_relay_is_killed_mid_publish : SystemTest
{
    private const int Backlog = 20_000;
    private const string Recorder = "rtd.test.relay-recorder";

    private Process StartCentral() => Rtd.StartProcess("RealTimeDistributor.Central", new()
    {
        ["ConnectionStrings__Central"] = TestSettings.ConnectionString(Rtd.CentralDatabase),
        ["RealTime__Simulate"] = "false",
    });

    private async Task<long> PublishedThroughAsync()
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(Rtd.CentralDatabase));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT published_through FROM relay_state WHERE id = 1", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task Should_resume_from_its_record_with_nothing_missing()
    {
        await SeedPeripheralAsync();
        await Eventually.Until(PublishedThroughAsync, p => p == 1, "change 1 to be published");
        await Rtd.StopAsync(Rtd.Central); // from here on the relay runs in a process of its own

        var factory = TestSettings.RabbitConnection(Rtd.CentralVirtualHost);
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(Recorder, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(Recorder, Topology.Central.ConfigExchange, Topology.AllKeys);
        await CentralBacklog.CommitAgentsAsync(Rtd.CentralDatabase, Backlog);

        var first = StartCentral();
        var atKill = await Eventually.Until(PublishedThroughAsync, p => p > 1 + 1_000, "the relay to be part-way through the backlog", TimeSpan.FromSeconds(120));
        first.Kill(entireProcessTree: true);
        await first.WaitForExitAsync();
        Assert.True(await PublishedThroughAsync() < Backlog + 1, "the relay finished before it was killed");

        StartCentral();
        await Eventually.Until(PublishedThroughAsync, p => p == Backlog + 1, "the restarted relay to finish", TimeSpan.FromMinutes(3));

        var seen = await DrainAsync(channel);
        var missing = Enumerable.Range(2, Backlog).Select(i => (long)i).Except(seen).ToList();
        Assert.Empty(missing);
        Assert.True(seen.Count >= Backlog, $"{seen.Count} messages recorded");
        Assert.True(atKill > 1);
    }

    /// <summary>Reads every message the recorder queue holds (the relay has confirmed them all, so they are all there).</summary>
    private static async Task<List<long>> DrainAsync(IChannel channel)
    {
        var sequences = new List<long>();
        var expected = (long)(await channel.QueueDeclarePassiveAsync(Recorder)).MessageCount;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            using var json = JsonDocument.Parse(delivery.Body);
            lock (sequences)
            {
                sequences.Add(json.RootElement.GetProperty("sequence").GetInt64());
                if (sequences.Count == expected)
                {
                    done.TrySetResult();
                }
            }
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(Recorder, autoAck: true, consumer);
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        return sequences;
    }
}
