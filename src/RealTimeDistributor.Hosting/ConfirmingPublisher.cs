using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting;

/// <summary>One message for <see cref="ConfirmingPublisher"/>: already serialized, with its exchange and routing key.</summary>
public readonly record struct OutgoingMessage(string Exchange, string RoutingKey, ReadOnlyMemory<byte> Body, string MessageId);

/// <summary>
/// Publishes batches in order on one channel with publisher confirms, pipelined: every message of a batch
/// is written before the first confirm is awaited, and the call returns once the broker has confirmed them all.
/// Used where order on the wire matters (the central change log relay, the site streams), which MassTransit's
/// concurrent publish does not promise. Reconnects on the next call after a failure; the caller retries the batch.
/// </summary>
public sealed class ConfirmingPublisher(RabbitMqSettings settings, string virtualHost, string clientName, IEnumerable<string> exchanges, ILogger logger)
    : IAsyncDisposable
{
    private readonly string[] _exchanges = [.. exchanges];
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;
    private IChannel? _channel;

    public async Task PublishAsync(IReadOnlyList<OutgoingMessage> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var channel = await ChannelAsync(cancellationToken);
            var pending = new ValueTask[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var message = batch[i];
                var properties = new BasicProperties
                {
                    Persistent = true,
                    ContentType = "application/json",
                    MessageId = message.MessageId,
                    Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
                };
                pending[i] = channel.BasicPublishAsync(message.Exchange, message.RoutingKey, false, properties, message.Body, cancellationToken);
            }
            foreach (var confirm in pending)
            {
                await confirm;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Publishing to {Endpoint} failed; the channel is reopened on the next batch", settings.Endpoint(virtualHost));
            await CloseAsync();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IChannel> ChannelAsync(CancellationToken cancellationToken)
    {
        if (_channel is { IsOpen: true })
        {
            return _channel;
        }
        await CloseAsync();
        _connection = await RabbitMqConnections.ConnectAsync(settings, virtualHost, clientName, cancellationToken);
        _channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        await BrokerDefinitions.EnsureExchangesAsync(_connection, _exchanges.Select(e => new DeclaredExchange(e, Topology.TopicExchange)), cancellationToken);
        return _channel;
    }

    private async Task CloseAsync()
    {
        try
        {
            if (_channel is not null)
            {
                await _channel.DisposeAsync();
            }
            if (_connection is not null)
            {
                await _connection.DisposeAsync();
            }
        }
        catch (Exception exception)
        {
            logger.LogDebug(exception, "Ignoring an error while closing a broken channel");
        }
        _channel = null;
        _connection = null;
    }

    public async ValueTask DisposeAsync()
    {
        await CloseAsync();
        _gate.Dispose();
    }
}
