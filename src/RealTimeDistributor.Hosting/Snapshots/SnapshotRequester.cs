using System.Text.Json;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Hosting.Snapshots;

/// <summary>Where a snapshot request goes: an exchange of the broker definitions (<see cref="BrokerDefinitions"/>) and its type.</summary>
public sealed record SnapshotRequestRoute(string VirtualHost, string Exchange, string ExchangeType);

/// <summary>
/// Asks for a snapshot and gathers it, the same way for every flow: on a connection of its own it declares the reply
/// queue (non-durable, auto-delete: gone with the request), consumes it into a <see cref="SnapshotCollector{TRow}"/>,
/// publishes the request with a publisher confirm, and returns the whole snapshot, or fails with a
/// <see cref="TimeoutException"/> when no chunk has come for <c>idleTimeout</c> (the caller asks again).
/// Used by the distributor (configuration resync, real-time load at start), the client and the tests.
/// </summary>
public static class SnapshotRequester
{
    public static async Task<Snapshot<TRow>> RequestAsync<TRequest, TRow>(RabbitMqSettings broker, SnapshotRequestRoute route, string clientName,
        string replyTo, Guid snapshotId, TRequest request, TimeSpan idleTimeout, ILogger logger, CancellationToken cancellationToken)
    {
        await using var connection = await RabbitMqConnections.ConnectAsync(broker, route.VirtualHost, clientName, cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
        await channel.QueueDeclareAsync(replyTo, durable: false, exclusive: false, autoDelete: true, cancellationToken: cancellationToken);
        var collector = new SnapshotCollector<TRow>(snapshotId);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            try
            {
                if (JsonSerializer.Deserialize<SnapshotChunk<TRow>>(delivery.Body.Span, Json.Options) is { } chunk && !collector.Add(chunk))
                {
                    logger.LogDebug("Ignored chunk {Index} of snapshot {SnapshotId}: not the one being loaded", chunk.Index, chunk.SnapshotId);
                }
            }
            catch (JsonException exception)
            {
                logger.LogWarning("Ignored a message on {ReplyTo} that is not a snapshot chunk: {Problem}", replyTo, exception.Message);
            }
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(replyTo, autoAck: true, consumer, cancellationToken);
        await BrokerDefinitions.EnsureExchangesAsync(connection, [new(route.Exchange, route.ExchangeType)], cancellationToken);
        // user_id: the broker refuses any but this connection's own login, so the sender can trust it (SnapshotSender.Refuses)
        var properties = new BasicProperties { ContentType = "application/json", MessageId = $"snapshot-request-{snapshotId:N}", UserId = broker.Username };
        await channel.BasicPublishAsync(route.Exchange, "snapshot", false, properties, Json.Serialize(request), cancellationToken);
        return await collector.WaitAsync(idleTimeout, cancellationToken);
    }
}
