using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd errors list|replay`: the queues where MassTransit parks messages ("{queue}_error" after the retries, with the
/// reason in MT-Fault-* headers; "{queue}_skipped"), per vhost.
/// <list type="bullet">
/// <item>`list`: each parking queue of the vhosts with its depth (management API).</item>
/// <item>`list --queue Q`: each message of Q with its id, sequence and reason; read over AMQP and put back (nack with
/// requeue), so listing changes nothing. The management API's "get" is refused on the distributor's error queues, which
/// inherit single-active-consumer from their quorum queue.</item>
/// <item>`replay --queue Q`: moves messages back to the queue they came from (Q without the suffix), one at a time: publish
/// to it through the default exchange with a publisher confirm (mandatory, so a missing queue is an error, not a loss),
/// then ack. Interrupted anywhere, a message is in one queue or both, never in none; a message in both is a duplicate,
/// which the sequences make harmless.</item>
/// </list>
/// Reading messages needs AMQP read rights on the parking queue and write on the default exchange: the admin user by
/// default (RTD_RABBITMQ_ADMIN_USER / _PASSWORD); the read-only operator user cannot.
/// </summary>
public static class ErrorsCommand
{
    /// <summary>How long to wait for a message the queue said it holds (another consumer may hold it unacked).</summary>
    private static readonly TimeSpan DeliveryWait = TimeSpan.FromSeconds(10);

    /// <summary>Positional: the verb, list or replay.</summary>
    public static async Task<int> RunAsync(Options options, TextWriter output)
    {
        var verb = options.Positional switch
        {
            ["list" or "replay"] => options.Positional[0],
            _ => throw new UsageException("rtd errors needs a verb: list or replay"),
        };
        var user = options["user"] ?? ManagementApi.Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin");
        var password = options["password"] ?? ManagementApi.Env("RTD_RABBITMQ_ADMIN_PASSWORD", "local-demo-admin");
        using var management = new ManagementApi(options, user, password);
        var count = options["count"] is { } raw
            ? int.TryParse(raw, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new UsageException($"--count is '{raw}': give a number of messages, 1 or more")
            : (int?)null;
        var queue = options["queue"];
        if (queue is null)
        {
            return verb == "list"
                ? await ListQueuesAsync(options, management, output)
                : throw new UsageException("rtd errors replay needs --queue <name>_error (rtd errors list shows them)");
        }
        var original = Topology.OriginalQueue(queue)
            ?? throw new UsageException($"--queue is '{queue}': give a parking queue, whose name ends in {Topology.ErrorQueueSuffix} or {Topology.SkippedQueueSuffix}");
        var vhost = options["vhost"] ?? await FindVirtualHostAsync(management, queue);
        var broker = new RabbitMqSettings(
            options["host"] ?? ManagementApi.Env("RTD_RABBITMQ_HOST", "127.0.0.1"),
            int.TryParse(options["port"] ?? ManagementApi.Env("RTD_RABBITMQ_PORT", "5672"), CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
                ? port
                : throw new UsageException("--port takes the broker's AMQP port, such as 5672"),
            user, password, UseTls: false, TimeSpan.FromSeconds(10), Topology.Central.VirtualHost);
        return verb == "list"
            ? await ListMessagesAsync(broker, vhost, queue, count ?? 20, output)
            : await ReplayAsync(broker, vhost, queue, original, count, output);
    }

    /// <summary>Every parking queue of the vhosts (--vhosts a,b; default the central vhost and one per RTD_SITES site).</summary>
    private static async Task<int> ListQueuesAsync(Options options, ManagementApi management, TextWriter output)
    {
        var vhosts = (options["vhosts"] is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [Topology.Central.VirtualHost, .. ManagementApi.Env("RTD_SITES", "site-a site-b").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Topology.Site.VirtualHost)])
            .ToList();
        var known = (await management.RequireAsync("vhosts?columns=name")).EnumerateArray().Select(v => v.GetProperty("name").GetString()).ToList();
        if (vhosts.FirstOrDefault(v => !known.Contains(v)) is { } missing)
        {
            throw new UsageException($"no vhost '{missing}' on the broker at {management.BaseAddress} (the rtd vhosts there: "
                + $"{string.Join(", ", known.Where(v => v!.StartsWith("rtd-", StringComparison.Ordinal)))}); name the vhosts with --vhosts");
        }
        var parked = new List<QueueState>();
        foreach (var vhost in vhosts)
        {
            var queues = await management.RequireAsync($"queues/{Uri.EscapeDataString(vhost)}");
            parked.AddRange(queues.EnumerateArray().Select(ManagementApi.Queue).Where(q => Topology.IsParkingQueue(q.Name)));
        }
        output.WriteLine($"{"vhost",-24} {"queue",-56} {"messages",8} {"consumers",9}");
        foreach (var q in parked.OrderBy(q => q.VirtualHost, StringComparer.Ordinal).ThenBy(q => q.Name, StringComparer.Ordinal))
        {
            output.WriteLine($"{q.VirtualHost,-24} {q.Name,-56} {q.Messages,8} {q.Consumers,9}");
        }
        var messages = parked.Sum(q => q.Messages);
        output.WriteLine($"{parked.Count} parking queues in {vhosts.Count} vhosts ({string.Join(", ", vhosts)}), {messages} messages"
            + (messages > 0 ? "; rtd errors list --queue <name> shows them" : ""));
        return 0;
    }

    /// <summary>The vhost that holds a queue of this name, when there is exactly one.</summary>
    private static async Task<string> FindVirtualHostAsync(ManagementApi management, string queue)
    {
        var all = await management.RequireAsync("queues?columns=name,vhost");
        var vhosts = all.EnumerateArray().Where(q => q.GetProperty("name").GetString() == queue).Select(q => q.GetProperty("vhost").GetString()!).ToList();
        return vhosts switch
        {
            [var one] => one,
            [] => throw new CommandFailedException($"no queue named '{queue}' in any vhost user '{management.User}' can see (rtd errors list shows the parking queues)"),
            _ => throw new UsageException($"'{queue}' exists in {vhosts.Count} vhosts ({string.Join(", ", vhosts)}): name one with --vhost"),
        };
    }

    private static async Task<int> ListMessagesAsync(RabbitMqSettings broker, string vhost, string queue, int count, TextWriter output)
    {
        await using var connection = await ConnectAsync(broker, vhost, $"rtd errors list {queue}");
        await using var channel = await connection.CreateChannelAsync();
        var ready = await ReadyAsync(channel, vhost, queue);
        var wanted = (int)Math.Min(ready, count);
        output.WriteLine($"{vhost}/{queue}: {ready} ready messages, showing {wanted} (they stay in the queue)");
        var messages = Channel.CreateUnbounded<Parked>();
        await channel.BasicQosAsync(0, (ushort)Math.Min(wanted, ushort.MaxValue), false);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) => await messages.Writer.WriteAsync(Parked.From(delivery));
        var tag = wanted > 0 ? await channel.BasicConsumeAsync(queue, autoAck: false, consumer) : null;
        ulong last = 0;
        try
        {
            for (var i = 1; i <= wanted; i++)
            {
                var message = await NextAsync(messages.Reader, vhost, queue);
                last = message.DeliveryTag;
                output.WriteLine($"{i,3}. message id {message.MessageId ?? "-"}, sequence {message.Sequence ?? "-"}, routing key '{message.RoutingKey}', "
                    + $"failed {message.Header(FaultHeaders.Timestamp) ?? "-"} on {message.Header(FaultHeaders.MachineName) ?? "-"}");
                output.WriteLine($"     reason: {message.Reason}");
                if (message.Header(FaultHeaders.ExceptionType) is { } type)
                {
                    output.WriteLine($"     exception: {type}");
                }
            }
        }
        finally
        {
            if (tag is not null)
            {
                await channel.BasicCancelAsync(tag);
            }
            if (last > 0)
            {
                // everything read goes back, in place: the queue is as it was
                await channel.BasicNackAsync(last, multiple: true, requeue: true);
            }
        }
        return 0;
    }

    private static async Task<int> ReplayAsync(RabbitMqSettings broker, string vhost, string queue, string original, int? count, TextWriter output)
    {
        await using var connection = await ConnectAsync(broker, vhost, $"rtd errors replay {queue}");
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var ready = await ReadyAsync(channel, vhost, queue);
        try
        {
            await using var probe = await connection.CreateChannelAsync();
            await probe.QueueDeclarePassiveAsync(original);
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            throw new CommandFailedException($"the queue '{original}' that {queue} replays to does not exist in vhost {vhost}: start its consumer (which declares it) first; nothing was moved");
        }
        var wanted = (int)Math.Min(ready, count ?? long.MaxValue);
        var messages = Channel.CreateUnbounded<Parked>();
        await channel.BasicQosAsync(0, 1, false); // one message held at a time: it is either still parked or already moved
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) => await messages.Writer.WriteAsync(Parked.From(delivery));
        var tag = wanted > 0 ? await channel.BasicConsumeAsync(queue, autoAck: false, consumer) : null;
        var moved = 0;
        try
        {
            for (; moved < wanted; moved++)
            {
                var message = await NextAsync(messages.Reader, vhost, queue);
                try
                {
                    await channel.BasicPublishAsync("", original, mandatory: true, message.ReplayProperties(), message.Body);
                }
                catch (PublishReturnException returned)
                {
                    await channel.BasicNackAsync(message.DeliveryTag, false, requeue: true);
                    throw new CommandFailedException($"the broker returned message {message.MessageId} ({returned.ReplyText}): {original} is gone; "
                        + $"it stays in {queue}; {moved} moved before it");
                }
                await channel.BasicAckAsync(message.DeliveryTag, false);
                output.WriteLine($"moved message id {message.MessageId ?? "-"}, sequence {message.Sequence ?? "-"} back to {original}");
            }
        }
        finally
        {
            if (tag is not null && channel.IsOpen)
            {
                await channel.BasicCancelAsync(tag);
            }
        }
        output.WriteLine($"{moved} of {ready} messages moved from {vhost}/{queue} back to {original}" + (moved < ready ? $"; {ready - moved} left" : ""));
        return 0;
    }

    private static async Task<IConnection> ConnectAsync(RabbitMqSettings broker, string vhost, string name)
    {
        try
        {
            return await RabbitMqConnections.ConnectAsync(broker, vhost, name, CancellationToken.None);
        }
        catch (BrokerUnreachableException exception) when (exception.InnerException is AuthenticationFailureException)
        {
            throw new LoginRefusedException($"the broker at {broker.Endpoint(vhost)} refuses the login of user '{broker.Username}'; "
                + "set --user and --password (reading messages needs the admin user)");
        }
        catch (BrokerUnreachableException exception)
        {
            throw new UnreachableException($"cannot open {broker.Endpoint(vhost)} as '{broker.Username}' ({exception.InnerException?.Message ?? exception.Message}); "
                + "set --host and --port");
        }
    }

    private static async Task<uint> ReadyAsync(IChannel channel, string vhost, string queue)
    {
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 404)
        {
            throw new CommandFailedException($"no queue '{queue}' in vhost {vhost}");
        }
        catch (OperationInterruptedException exception) when (exception.ShutdownReason?.ReplyCode == 403)
        {
            throw new CommandFailedException($"the broker refuses access to {vhost}/{queue}: {exception.ShutdownReason.ReplyText}");
        }
    }

    private static async Task<Parked> NextAsync(ChannelReader<Parked> reader, string vhost, string queue)
    {
        try
        {
            return await reader.ReadAsync().AsTask().WaitAsync(DeliveryWait);
        }
        catch (TimeoutException)
        {
            throw new CommandFailedException($"{vhost}/{queue} delivered nothing for {DeliveryWait.TotalSeconds:0} s: another consumer holds its messages");
        }
    }

    /// <summary>A parked message, copied out of the delivery (whose buffers the client reuses after the handler).</summary>
    private sealed record Parked(ulong DeliveryTag, string RoutingKey, BasicProperties Properties, byte[] Body)
    {
        public static Parked From(BasicDeliverEventArgs delivery) =>
            new(delivery.DeliveryTag, delivery.RoutingKey, new BasicProperties(delivery.BasicProperties), delivery.Body.ToArray());

        public string? MessageId => Properties.MessageId;

        /// <summary>The body's "sequence" (a central config change) or "siteSequence" (a site update).</summary>
        public string? Sequence
        {
            get
            {
                try
                {
                    using var json = JsonDocument.Parse(Body);
                    return json.RootElement.ValueKind == JsonValueKind.Object
                        && (json.RootElement.TryGetProperty("sequence", out var s) || json.RootElement.TryGetProperty("siteSequence", out s))
                        ? s.GetRawText()
                        : null;
                }
                catch (JsonException)
                {
                    return null;
                }
            }
        }

        public string Reason => FaultHeaders.ReadReason(Properties);

        public string? Header(string name) => FaultHeaders.Read(Properties, name);

        /// <summary>The original properties and headers, without the ones MassTransit added when it parked the message.</summary>
        public BasicProperties ReplayProperties() => FaultHeaders.Remove(Properties);
    }
}
