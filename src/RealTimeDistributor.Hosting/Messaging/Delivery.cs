using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>A message taken from a queue, copied out of the delivery (whose buffers the client reuses after the handler).</summary>
public sealed record Delivery(ulong Tag, string RoutingKey, BasicProperties Properties, byte[] Body)
{
    public static Delivery From(BasicDeliverEventArgs delivery) =>
        new(delivery.DeliveryTag, delivery.RoutingKey, new BasicProperties(delivery.BasicProperties), delivery.Body.ToArray());
}

/// <summary>Why a message goes, alone, to its queue's error queue (<see cref="FaultHeaders"/>; a null stack trace writes none).</summary>
public sealed record Refusal(string Reason, string ExceptionType, string? StackTrace = null)
{
    public static Refusal From(Exception exception) => new(exception.Message, exception.GetType().FullName!, exception.StackTrace ?? "");
}
