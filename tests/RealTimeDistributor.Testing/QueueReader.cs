using System.Text;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RealTimeDistributor.Testing;

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

    public static async Task<ReadMessage?> PeekAsync(string vhost, string queue, TimeSpan wait) =>
        (await PeekAllAsync(vhost, queue, 1, wait)).FirstOrDefault();

    /// <summary>The first <paramref name="count"/> messages of a queue (fewer if they do not come within <paramref name="wait"/>), all put back.</summary>
    public static async Task<IReadOnlyList<ReadMessage>> PeekAllAsync(string vhost, string queue, int count, TimeSpan wait)
    {
        await using var connection = await Factory(vhost).CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var read = new List<ReadMessage>();
        var last = 0UL;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            // the body is only valid during this call
            var message = new ReadMessage(Encoding.UTF8.GetString(delivery.Body.Span), (delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
                .ToDictionary(h => h.Key, h => h.Value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : h.Value?.ToString() ?? ""));
            lock (read)
            {
                read.Add(message);
                last = delivery.DeliveryTag;
                if (read.Count == count)
                {
                    all.TrySetResult();
                }
            }
            return Task.CompletedTask;
        };
        await channel.BasicQosAsync(0, (ushort)count, false);
        var tag = await channel.BasicConsumeAsync(queue, autoAck: false, consumer);
        try
        {
            await all.Task.WaitAsync(wait);
        }
        catch (TimeoutException)
        {
        }
        await channel.BasicCancelAsync(tag);
        List<ReadMessage> messages;
        ulong through;
        lock (read)
        {
            (messages, through) = ([.. read], last);
        }
        if (through > 0)
        {
            await channel.BasicNackAsync(through, multiple: true, requeue: true);
        }
        return messages;
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
