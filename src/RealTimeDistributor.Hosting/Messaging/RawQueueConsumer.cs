using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>
/// Consumes one queue with raw RabbitMQ.Client (<see cref="RawQueue"/>): one connection at a time, opened while the gate
/// is open and opened again after a failure. Acks go out as one multiple-ack for the longest stretch of consecutive
/// delivery tags that is done (<see cref="AckWindow"/>), so a run of 1,000 messages costs the broker one ack. A refused
/// message goes, alone, to the queue's error queue (<see cref="ErrorQueueWriter"/>, confirmed) and is then acked. A
/// delivery that cannot be done (its handler failed, or the error queue did not take it) stays unacked and the channel
/// is closed, so the broker redelivers it rather than it holding back every ack after it. When the gate closes the
/// consumer stops at once (what is not acked comes back to whoever consumes next); when the host stops it stops taking
/// deliveries and lets those in flight finish (bounded).
/// </summary>
public sealed class RawQueueConsumer(RabbitMqSettings broker, RawQueue queue, TimeProvider clock, ILogger logger)
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Consumes until <paramref name="stoppingToken"/>, handing each delivery to <paramref name="handle"/>.</summary>
    public Task RunAsync(DeliveryHandler handle, CancellationToken stoppingToken) =>
        Resilience.RepeatUntilStoppedAsync(async ct =>
        {
            try
            {
                await ConsumeAsync(handle, ct);
            }
            catch (Exception exception) when (!ct.IsCancellationRequested)
            {
                queue.Link?.Lost(exception.GetBaseException().Message);
                throw;
            }
        }, logger, $"The consumer of {queue.Queue}", stoppingToken, queue.Reconnect);

    /// <summary>
    /// A standby keeps its connection while it waits at the gate, so its link is known (a connection closed meanwhile,
    /// e.g. by the instance that took the site over from it, ends the wait: it reconnects and waits again), and it is
    /// ready the moment the gate opens.
    /// </summary>
    private static async Task<CancellationToken> WaitAtGateAsync(ConsumeGate gate, IConnection connection, CancellationToken stoppingToken)
    {
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.ConnectionShutdownAsync += (_, args) =>
        {
            closed.TrySetException(new InvalidOperationException($"The connection closed while waiting for {gate.Name}: {args.ReplyCode} {args.ReplyText}"));
            return Task.CompletedTask;
        };
        if (!connection.IsOpen)
        {
            closed.TrySetException(new InvalidOperationException($"The connection closed while waiting for {gate.Name}"));
        }
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var open = gate.WaitAsync(waiting.Token);
        if (await Task.WhenAny(open, closed.Task) != open)
        {
            await waiting.CancelAsync();
            await closed.Task; // throws: the link is lost
        }
        return await open;
    }

    /// <summary>One connection: declares, consumes until the channel closes, the gate closes or the host stops.</summary>
    private async Task ConsumeAsync(DeliveryHandler handle, CancellationToken stoppingToken)
    {
        await using var connection = await RabbitMqConnections.ConnectAsync(broker, queue.VirtualHost, queue.ConnectionName, stoppingToken);
        queue.Link?.Reached();
        var open = queue.Gate is { } gate ? await WaitAtGateAsync(gate, connection, stoppingToken) : CancellationToken.None;
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, open);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await using var confirmed = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        await queue.Declare(connection, channel, stoppingToken);
        await channel.BasicQosAsync(0, queue.Prefetch, false, stoppingToken);

        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, args) =>
        {
            closed.TrySetException(new InvalidOperationException($"The channel of {queue.Queue} closed: {args.ReplyCode} {args.ReplyText}"));
            return Task.CompletedTask;
        };
        var session = new Session(queue.Queue, channel, new ErrorQueueWriter(confirmed, queue.Queue, clock), handle,
            reason => closed.TrySetException(new InvalidOperationException(reason)), logger, held.Token);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var handling = session.Receive(delivery);
            if (!queue.Concurrent)
            {
                await handling;
            }
        };
        consumer.UnregisteredAsync += (_, _) =>
        {
            // raised too when this consumer stops or its channel closes (then the channel's own close ends the session):
            // a channel still open means the broker cancelled the consumer (its queue was deleted): start over
            if (!held.IsCancellationRequested && channel.IsOpen && consumer.ShutdownReason is null)
            {
                closed.TrySetException(new InvalidOperationException($"The broker cancelled the consumer of {queue.Queue} (its queue deleted?)"));
            }
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(queue.Queue, autoAck: false, consumer, stoppingToken);
        try
        {
            await closed.Task.WaitAsync(held.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning("The consumer of {Queue} stops: this instance no longer holds {Gate}", queue.Queue, queue.Gate?.Name);
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stop taking new deliveries; the ones in flight are acked as they finish
            await channel.BasicCancelAsync(tag, cancellationToken: CancellationToken.None);
            await session.DrainAsync(DrainTimeout);
            throw;
        }
    }

    /// <summary>The deliveries of one channel: which are done, and the acks that follow from it.</summary>
    private sealed class Session(string queue, IChannel channel, ErrorQueueWriter errors, DeliveryHandler handle, Action<string> close, ILogger logger,
        CancellationToken held)
    {
        private readonly Lock _gate = new();
        private readonly SemaphoreSlim _acking = new(1, 1);
        private readonly AckWindow _window = new();
        private ulong _acked;

        public Task Receive(BasicDeliverEventArgs delivery)
        {
            lock (_gate)
            {
                _window.Received();
            }
            // the body is only valid during this call
            return HandleAsync(Delivery.From(delivery));
        }

        private async Task HandleAsync(Delivery delivery)
        {
            Refusal? refusal;
            try
            {
                refusal = await handle(delivery, held);
            }
            catch (Exception exception)
            {
                Finished(delivery.Tag, acked: false);
                if (held.IsCancellationRequested)
                {
                    // the host stops (or the gate closes) before it was done: it stays unacked and comes back
                    logger.LogDebug(exception, "A message of {Queue} was not acked (delivery {Tag})", queue, delivery.Tag);
                }
                else
                {
                    close($"a message of {queue} (delivery {delivery.Tag}) failed: {exception.Message}");
                }
                return;
            }
            if (refusal is not null && !await ParkAsync(delivery, refusal))
            {
                Finished(delivery.Tag, acked: false);
                // an unacked delivery holds back every ack after it: start over, and the broker brings it back
                close($"a message of {queue} (delivery {delivery.Tag}) could not be moved to {errors.Queue}");
                return;
            }
            Finished(delivery.Tag, acked: true);
            await AckAsync();
        }

        /// <summary>Moves the message to the error queue with its reason (confirmed); false if the broker did not take it.</summary>
        private async Task<bool> ParkAsync(Delivery delivery, Refusal refusal)
        {
            try
            {
                await errors.ParkAsync(delivery, refusal, held);
                return true;
            }
            catch (Exception exception)
            {
                logger.LogWarning(exception, "A message of {Queue} (delivery {Tag}) could not be moved to {ErrorQueue}; it stays unacked",
                    queue, delivery.Tag, errors.Queue);
                return false;
            }
        }

        private void Finished(ulong tag, bool acked)
        {
            lock (_gate)
            {
                _window.Ended(tag, acked);
            }
        }

        /// <summary>One multiple-ack through the last delivery tag of the done stretch, if it moved.</summary>
        private async Task AckAsync()
        {
            lock (_gate)
            {
                if (_window.DoneThrough <= _acked)
                {
                    return; // another completion's ack covers this one
                }
            }
            await _acking.WaitAsync();
            try
            {
                ulong through;
                lock (_gate)
                {
                    through = _window.DoneThrough;
                }
                if (through > _acked && channel.IsOpen)
                {
                    await channel.BasicAckAsync(through, multiple: true);
                    lock (_gate)
                    {
                        _acked = through;
                    }
                }
            }
            catch (Exception exception)
            {
                // the channel is going: whatever was not acked is redelivered
                logger.LogDebug(exception, "Acking messages of {Queue} failed", queue);
            }
            finally
            {
                _acking.Release();
            }
        }

        /// <summary>Waits (bounded) for the deliveries in flight to finish and be acked.</summary>
        public async Task DrainAsync(TimeSpan timeout)
        {
            var until = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < until)
            {
                lock (_gate)
                {
                    if (_window.Open == 0)
                    {
                        return;
                    }
                }
                await Task.Delay(20);
            }
        }
    }
}
