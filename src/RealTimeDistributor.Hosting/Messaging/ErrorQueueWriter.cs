using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>
/// Moves a refused message, alone, to "{queue}_error" (declared before the first one) with its reason in the headers
/// MassTransit's error transport writes (<see cref="FaultHeaders"/>), on a channel with publisher confirms: when
/// <see cref="ParkAsync"/> returns, the broker has it, and the original may be acked.
/// </summary>
public sealed class ErrorQueueWriter(IChannel confirmed, string queue, TimeProvider clock)
{
    private bool _declared;

    public string Queue { get; } = Topology.ErrorQueue(queue);

    public async Task ParkAsync(Delivery delivery, Refusal refusal, CancellationToken cancellationToken)
    {
        if (!_declared)
        {
            await QueueDeclarations.DeclareErrorQueueAsync(confirmed, queue, cancellationToken);
            _declared = true;
        }
        var properties = FaultHeaders.Write(delivery.Properties, refusal.Reason, refusal.ExceptionType, refusal.StackTrace, clock.GetUtcNow());
        await confirmed.BasicPublishAsync(Queue, delivery.RoutingKey, false, properties, delivery.Body, cancellationToken);
    }
}
