using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>
/// Consumes the peripheral events from <see cref="Topology.Activity.Queue"/> with raw RabbitMQ.Client, one at a time in
/// queue order (a peripheral's events stay in its sequence), through <see cref="ActivityIngest"/>. A refused event goes,
/// alone, to the queue's <c>_error</c> queue with its reason in MT-Fault-Message (what `rtd errors list` shows); a
/// duplicate is dropped. Starts once the statistics configuration is loaded, so every event can be checked. Every second
/// it asks again a peripheral whose resync has not come for 10 seconds.
/// </summary>
public sealed class ActivityConsumer(RabbitMqSettings broker, ActivityIngest ingest, GatewayActivity intake, TimeProvider clock,
    ILogger<ActivityConsumer> logger) : BackgroundService
{
    private static readonly TimeSpan ResyncPatience = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await intake.Configured.WaitAsync(stoppingToken);
        var reminders = RemindAsync(stoppingToken);
        await Resilience.RepeatUntilStoppedAsync(ConsumeAsync, logger, "The activity consumer", stoppingToken);
        await reminders;
    }

    private async Task RemindAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ingest.RemindAsync(ResyncPatience, stoppingToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    logger.LogWarning(exception, "Asking for resyncs failed; trying again in a second");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        await using var connection = await RabbitMqConnections.Factory(broker, broker.CentralVirtualHost, "rtd central activity")
            .CreateConnectionAsync(stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await using var errors = await connection.CreateChannelAsync(
            new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
        await QueueDeclarations.DeclareActivityQueueAsync(connection, channel, stoppingToken);
        await QueueDeclarations.DeclareErrorQueueAsync(errors, Topology.Activity.Queue, stoppingToken);
        await channel.BasicQosAsync(0, Topology.Activity.InFlight, false, stoppingToken);
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, args) =>
        {
            closed.TrySetException(new InvalidOperationException($"The activity channel closed: {args.ReplyCode} {args.ReplyText}"));
            return Task.CompletedTask;
        };
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            var result = await ingest.IngestAsync(delivery.Body, PeripheralOf(delivery.RoutingKey), stoppingToken);
            if (result.Outcome == IntakeOutcome.Refused)
            {
                await ParkAsync(errors, delivery, result.Reason!, stoppingToken);
            }
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false, stoppingToken);
        };
        await channel.BasicConsumeAsync(Topology.Activity.Queue, autoAck: false, consumer, stoppingToken);
        await closed.Task.WaitAsync(stoppingToken);
    }

    /// <summary>The peripheral "peripheral.{id}" names; 0 (no peripheral has it) for any other key.</summary>
    private static long PeripheralOf(string routingKey) =>
        routingKey.StartsWith("peripheral.", StringComparison.Ordinal) && long.TryParse(routingKey["peripheral.".Length..], out var id) ? id : 0;

    /// <summary>The refused message, alone, to the error queue with its reason (confirmed) in the headers MassTransit's error transport writes.</summary>
    private async Task ParkAsync(IChannel errors, BasicDeliverEventArgs delivery, string reason, CancellationToken cancellationToken)
    {
        var properties = new BasicProperties(delivery.BasicProperties)
        {
            Persistent = true,
            Headers = new Dictionary<string, object?>(delivery.BasicProperties.Headers ?? new Dictionary<string, object?>())
            {
                ["MT-Reason"] = "fault",
                ["MT-Fault-Message"] = reason,
                ["MT-Fault-ExceptionType"] = "RefusedPeripheralEvent",
                ["MT-Fault-Timestamp"] = clock.GetUtcNow().ToString("O"),
                ["MT-Host-MachineName"] = Environment.MachineName,
            },
        };
        var queue = Topology.ErrorQueue(Topology.Activity.Queue);
        await errors.BasicPublishAsync(queue, delivery.RoutingKey, false, properties, delivery.Body, cancellationToken);
    }
}
