using System.Net;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>
/// The ordered publisher of the change-log relay, the real-time feed and the site streams (<see cref="ConfirmingPublisher"/>)
/// on a real broker behind a link that goes dark in the middle of a batch: the broker's confirms do not come, so the
/// batch fails with a timeout instead of holding the publisher (and everything ordered behind it) for good, and the next
/// call, once the link is back, publishes on a new connection. Each message reaches the queue (at least once).
/// </summary>
public sealed class When_publisher_confirms_do_not_come(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Exchange = "rtd.test.confirms";
    private const string Queue = "rtd.test.confirms.all";
    private readonly string _vhost = $"rtd-test-confirms-{Guid.NewGuid():N}"[..32];
    private readonly Broker _broker = new();
    private FaultProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        await _broker.CreateVirtualHostAsync(_vhost);
        await using var connection = await TestSettings.RabbitConnection(_vhost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(Queue, Exchange, "#");
        _proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.RabbitHost, TestSettings.RabbitPort);
        _proxy.Start();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _broker.DeleteVirtualHostAsync(_vhost);
        _broker.Dispose();
    }

    [Fact]
    public async Task Should_give_the_batch_up_and_publish_it_again_on_a_new_connection()
    {
        var settings = new RabbitMqSettings(TestSettings.RabbitHost, _proxy.Port, TestSettings.RabbitUser, TestSettings.RabbitPassword, false,
            TimeSpan.FromSeconds(5), _vhost);
        await using var publisher = new ConfirmingPublisher(settings, _vhost, "rtd test confirms", [Exchange], NullLogger.Instance,
            confirmTimeout: TimeSpan.FromSeconds(2));
        await publisher.PublishAsync(Batch(0, 10), CancellationToken.None);

        _proxy.Cut(CutMode.Blackhole);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // bounded, so that a publisher that waits for good fails here instead of holding the run
        var timedOut = await Assert.ThrowsAsync<TimeoutException>(() => publisher.PublishAsync(Batch(10, 20), CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("did not confirm a batch of 10 messages", timedOut.Message, StringComparison.Ordinal);
        output.WriteLine($"the batch was given up {clock.Elapsed.TotalSeconds:F1} s after the link went dark");

        _proxy.Restore();
        clock.Restart();
        await publisher.PublishAsync(Batch(10, 20), CancellationToken.None);
        output.WriteLine($"published again {clock.Elapsed.TotalSeconds:F1} s after the restore");
        await Eventually.Until(async () => await QueueReader.ReadyAsync(_vhost, Queue), ready => ready >= 20, "the two batches in the queue");
        var bodies = (await QueueReader.PeekAllAsync(_vhost, Queue, 40, TimeSpan.FromSeconds(2))).Select(m => m.Body).ToHashSet();
        Assert.Equal(Enumerable.Range(0, 20).Select(Body).ToHashSet(), bodies);
    }

    private static string Body(int n) => $"{{\"n\":{n}}}";

    private static List<OutgoingMessage> Batch(int from, int to) =>
        [.. Enumerable.Range(from, to - from).Select(n => new OutgoingMessage(Exchange, "test", Encoding.UTF8.GetBytes(Body(n)), $"m{n}"))];
}
