using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// updateaw's intake: consumes the site's config queue on the central vhost with raw RabbitMQ.Client and hands each change
/// to the ordered apply loop (<see cref="ConfigStream"/>). A message is acked once its change is in the replica and
/// republished; acks go out as one multiple-ack for the longest stretch of consecutive delivery tags that is done, so a
/// run of 1,000 changes costs the broker one ack instead of 1,000 (MassTransit acked each message on its own, and its
/// per-message receive pipeline was most of this process's CPU on a backlog). A change that cannot apply goes, alone, to
/// <c>&lt;queue&gt;_error</c> with its reason in the headers MassTransit's error transport writes (docs/operations.md),
/// once, and is acked: a message that is not application/json, does not parse, fails <see cref="ConfigApplier.Validate"/>,
/// or claims a sequence the center never committed (<see cref="ConfigStream"/>) does not hold back the ones after it and
/// brings no resync (a genuine change it stood in for still comes, or shows up as a gap). Should the error queue not take
/// it, the channel is closed so the broker redelivers it, rather than holding back every ack after it. Any other failure
/// is tried again until the host stops, and a message not done by then stays unacked: the broker redelivers it when the
/// channel closes (the standby or the next start skips what the replica has).
/// This connection is the distributor's link to the center (<see cref="SiteLinks.Center"/>): consuming means reached, a
/// failed or closed connection means lost.
/// </summary>
public sealed class ConfigChangedConsumer(RabbitMqSettings broker, DistributorSettings settings, ConfigStream stream, SiteLease lease, RtdMetrics metrics,
    SiteLinks links, TimeProvider clock, ILogger<ConfigChangedConsumer> logger) : BackgroundService
{
    private readonly string _site = settings.Site;
    private readonly string _queue = Topology.Central.DistributorConfigQueue(settings.Site);
    private readonly ConfigStream _stream = stream;
    private readonly RtdMetrics _metrics = metrics;
    private readonly TimeProvider _clock = clock;
    private readonly ILogger _logger = logger;
    private string ErrorQueue => Topology.ErrorQueue(_queue);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Resilience.RepeatUntilStoppedAsync(async ct =>
        {
            try
            {
                await ConsumeAsync(ct);
            }
            catch (Exception exception) when (!ct.IsCancellationRequested)
            {
                links.Center.Lost(exception.GetBaseException().Message);
                throw;
            }
        }, _logger, "The config queue consumer", stoppingToken);

    /// <summary>
    /// One connection, while this process holds the site lease: declares, consumes until the channel closes, the lease is
    /// lost (then it stops at once: what is not acked comes back to the new holder) or the host stops (then it lets the
    /// changes in flight finish).
    /// </summary>
    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var holding = await lease.WaitAsync(stoppingToken);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, holding.Lost);
        await using var connection = await RabbitMqConnections.ConnectAsync(broker, broker.CentralVirtualHost,
            Topology.Central.DistributorConnectionName(_site, settings.Instance), stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await using var errors = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        await QueueDeclarations.DeclareDistributorConfigQueueAsync(connection, channel, _site, settings.CentralQueueMaxLength, stoppingToken);
        await channel.BasicQosAsync(0, Topology.Central.DistributorConfigInFlight, false, stoppingToken);

        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, args) =>
        {
            closed.TrySetException(new InvalidOperationException($"The config queue channel closed: {args.ReplyCode} {args.ReplyText}"));
            return Task.CompletedTask;
        };
        var session = new Session(this, channel, errors, reason => closed.TrySetException(new InvalidOperationException(reason)), held.Token);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            session.Receive(delivery);
            return Task.CompletedTask;
        };
        var tag = await channel.BasicConsumeAsync(_queue, autoAck: false, consumer, stoppingToken);
        links.Center.Reached();
        try
        {
            await closed.Task.WaitAsync(held.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            _logger.LogWarning("The config queue consumer stops: this instance no longer holds the site lease");
            return;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stop taking new changes; the ones in flight are acked as they finish (the apply loop stops after this service)
            await channel.BasicCancelAsync(tag, cancellationToken: CancellationToken.None);
            await session.DrainAsync(TimeSpan.FromSeconds(10));
            throw;
        }
    }

    /// <summary>The deliveries of one channel: which are done, and the acks that follow from it.</summary>
    private sealed class Session(ConfigChangedConsumer owner, IChannel channel, IChannel errors, Action<string> close, CancellationToken stopping)
    {
        private readonly Lock _gate = new();
        private readonly SemaphoreSlim _acking = new(1, 1);
        private readonly AckWindow _window = new();
        private ulong _acked;

        public void Receive(BasicDeliverEventArgs delivery)
        {
            lock (_gate)
            {
                _window.Received();
            }
            // the body is only valid during this call
            var body = delivery.Body.ToArray();
            var properties = new BasicProperties(delivery.BasicProperties);
            _ = HandleAsync(delivery.DeliveryTag, delivery.RoutingKey, body, properties);
        }

        private async Task HandleAsync(ulong tag, string routingKey, byte[] body, BasicProperties properties)
        {
            try
            {
                var change = Parse(properties.ContentType, body);
                await SubmitAsync(change);
                owner._metrics.ConfigAcked(owner._clock.GetUtcNow() - change.CommittedAt);
            }
            catch (PoisonMessageException poison)
            {
                if (!await ParkAsync(routingKey, body, properties, poison))
                {
                    Finished(tag, acked: false);
                    // an unacked delivery holds back every ack after it: start over, and the broker brings it back
                    close($"config change {poison.Sequence} could not be moved to {owner.ErrorQueue}");
                    return;
                }
            }
            catch (Exception exception)
            {
                // the host stops before the change was confirmed: it stays unacked and comes back
                owner._logger.LogDebug(exception, "A config change was not acked (delivery {Tag})", tag);
                Finished(tag, acked: false);
                return;
            }
            Finished(tag, acked: true);
            await AckAsync();
        }

        /// <summary>Hands the change to the apply loop; a passing failure (not poison) is tried again until the host stops.</summary>
        private async Task SubmitAsync(ConfigChanged change)
        {
            while (true)
            {
                try
                {
                    await owner._stream.SubmitAsync(change, CancellationToken.None);
                    return;
                }
                catch (Exception exception) when (exception is not PoisonMessageException && !stopping.IsCancellationRequested)
                {
                    owner._logger.LogWarning(exception, "Config change {Sequence} failed; trying again", change.Sequence);
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping);
                }
            }
        }

        private static ConfigChanged Parse(string? contentType, byte[] body)
        {
            PoisonMessageException.RequireJson(contentType);
            try
            {
                return JsonSerializer.Deserialize<ConfigChanged>(body, Json.Options) ?? throw new PoisonMessageException("The message is empty.");
            }
            catch (JsonException exception)
            {
                throw new PoisonMessageException($"The message does not parse as a configuration change: {exception.Message}");
            }
        }

        /// <summary>Moves the message to the error queue with its reason (confirmed); false if the broker did not take it.</summary>
        private async Task<bool> ParkAsync(string routingKey, byte[] body, BasicProperties properties, PoisonMessageException poison)
        {
            try
            {
                var headers = new Dictionary<string, object?>(properties.Headers ?? new Dictionary<string, object?>())
                {
                    ["MT-Reason"] = "fault",
                    ["MT-Fault-Message"] = poison.Message,
                    ["MT-Fault-ExceptionType"] = poison.GetType().FullName,
                    ["MT-Fault-StackTrace"] = poison.StackTrace ?? "",
                    ["MT-Fault-Timestamp"] = owner._clock.GetUtcNow().ToString("O"),
                    ["MT-Host-MachineName"] = Environment.MachineName,
                };
                properties.Headers = headers;
                properties.Persistent = true;
                await QueueDeclarations.DeclareErrorQueueAsync(errors, owner._queue, stopping);
                await errors.BasicPublishAsync(owner.ErrorQueue, routingKey, false, properties, body);
                owner._logger.LogWarning("Config change {Sequence} refused to {Queue}: {Reason}", poison.Sequence, owner.ErrorQueue, poison.Message);
                return true;
            }
            catch (Exception exception)
            {
                owner._logger.LogWarning(exception, "Config change {Sequence} could not be moved to {Queue}; it stays unacked", poison.Sequence, owner.ErrorQueue);
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
                // the channel is going: whatever was not acked is redelivered, and duplicates are skipped by sequence
                owner._logger.LogDebug(exception, "Acking config changes failed");
            }
            finally
            {
                _acking.Release();
            }
        }

        /// <summary>Waits (bounded) for the changes in flight to finish and be acked.</summary>
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
