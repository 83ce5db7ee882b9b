using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// One message for <see cref="ConfirmingPublisher"/>: already serialized, with its exchange and routing key, and the W3C
/// trace context of the span that sends it, if any (header "traceparent", <see cref="RtdTracing"/>).
/// </summary>
public readonly record struct OutgoingMessage(string Exchange, string RoutingKey, ReadOnlyMemory<byte> Body, string MessageId, string? TraceParent = null);

/// <summary>
/// Publishes batches in order on one channel with publisher confirms, pipelined: every message of a batch
/// is written before the first confirm is awaited, and the call returns once the broker has confirmed them all.
/// Used where order on the wire matters (the central change log relay, the site streams), which MassTransit's
/// concurrent publish does not promise. Reconnects on the next call after a failure (a nack, a closed channel, or confirms
/// that do not come within <see cref="ConfirmTimeout"/>); the caller retries the batch, and its receivers drop what they
/// already have (by sequence, or as the same last value).
/// </summary>
/// <param name="confirmTimeout">How long a batch's confirms may take (default <see cref="ConfirmTimeout"/>).</param>
public sealed class ConfirmingPublisher(RabbitMqSettings settings, string virtualHost, string clientName, IEnumerable<string> exchanges, ILogger logger,
    TimeSpan? confirmTimeout = null) : IAsyncDisposable
{
    /// <summary>How long a batch's confirms may take before the batch is given up and the connection reopened.</summary>
    public static readonly TimeSpan ConfirmTimeout = TimeSpan.FromSeconds(30);

    private readonly TimeSpan _confirmTimeout = confirmTimeout ?? ConfirmTimeout;
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
                    Headers = message.TraceParent is null ? null : new Dictionary<string, object?> { [RtdTracing.Header] = message.TraceParent },
                };
                pending[i] = channel.BasicPublishAsync(message.Exchange, message.RoutingKey, false, properties, message.Body, cancellationToken);
            }
            // a confirm that never comes (a quorum queue that lost its leader mid-publish can leave one pending) would
            // hold this publisher, and everything ordered behind it, for good: give up, reopen, and the caller sends again
            var confirms = Task.WhenAll(pending.Select(confirm => confirm.AsTask()));
            try
            {
                await confirms.WaitAsync(_confirmTimeout, cancellationToken);
            }
            catch (TimeoutException)
            {
                // the confirms fail when the connection is aborted: observed here, so that nobody else has to
                _ = confirms.ContinueWith(t => t.Exception, TaskScheduler.Default);
                throw new TimeoutException($"The broker did not confirm a batch of {batch.Count} messages within {_confirmTimeout.TotalSeconds:F0} s.");
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Publishing to {Endpoint} failed; the channel is reopened on the next batch", settings.Endpoint(virtualHost));
            Discard();
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
        Discard();
        _connection = await RabbitMqConnections.ConnectAsync(settings, virtualHost, clientName, cancellationToken);
        _channel = await _connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken);
        await BrokerDefinitions.EnsureExchangesAsync(_connection, _exchanges.Select(e => new DeclaredExchange(e, Topology.TopicExchange)), cancellationToken);
        return _channel;
    }

    /// <summary>
    /// Lets go of a broken connection and aborts it in the background: on a dark link even an abort waits for the socket,
    /// and the caller should not wait for that before it tries again on a new one.
    /// </summary>
    private void Discard()
    {
        var connection = _connection;
        (_channel, _connection) = (null, null);
        if (connection is not null)
        {
            _ = AbortAsync(connection);
        }
    }

    private async Task AbortAsync(IConnection connection)
    {
        try
        {
            // abort, not close: a close handshake waits for an answer that may never come
            await connection.AbortAsync(TimeSpan.FromSeconds(2));
            await connection.DisposeAsync();
        }
        catch (Exception exception)
        {
            logger.LogDebug(exception, "Ignoring an error while closing a broken connection");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await AbortAsync(_connection);
        }
        _gate.Dispose();
    }
}
