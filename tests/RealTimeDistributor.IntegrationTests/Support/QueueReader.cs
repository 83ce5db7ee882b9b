using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>A message read off a queue, its headers as strings.</summary>
public sealed record ReadMessage(string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// Reads the first message of a queue over AMQP and puts it back (the management API's "get" is refused on quorum queues
/// with a single active consumer, which is what the distributor's error queue inherits).
/// </summary>
public static class QueueReader
{
    /// <summary>
    /// Ready messages of a queue, as the broker counts them now (the management API's counters lag by up to 5 s); 0 while
    /// the queue does not exist.
    /// </summary>
    public static async Task<uint> ReadyAsync(string vhost, string queue)
    {
        await using var connection = await Factory(vhost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    public static async Task<ReadMessage?> PeekAsync(string vhost, string queue, TimeSpan wait)
    {
        await using var connection = await Factory(vhost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var first = new TaskCompletionSource<BasicDeliverEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            first.TrySetResult(delivery);
            return Task.CompletedTask;
        };
        await channel.BasicQosAsync(0, 1, false);
        var tag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        try
        {
            var delivery = await first.Task.WaitAsync(wait);
            var headers = (delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .ToDictionary(h => h.Key, h => h.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : h.Value?.ToString() ?? "");
            var message = new ReadMessage(Encoding.UTF8.GetString(delivery.Body.Span), headers);
            await channel.BasicNackAsync(delivery.DeliveryTag, false, requeue: true);
            return message;
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            await channel.BasicCancelAsync(tag);
        }
    }

    private static ConnectionFactory Factory(string vhost) => new()
    {
        HostName = TestSettings.RabbitHost,
        Port = TestSettings.RabbitPort,
        UserName = TestSettings.RabbitAdminUser,
        Password = TestSettings.RabbitAdminPassword,
        VirtualHost = vhost,
    };
}
