namespace RealTimeDistributor.Hosting;

/// <summary>
/// The one place that names every virtual host, exchange, queue, routing key and queue argument.
/// Names read in the RabbitMQ management UI as "rtd.{who}.{process}.{flow}":
/// an operator who sees one knows which site, which process and which flow it carries.
/// </summary>
public static partial class Topology
{
    public const string TopicExchange = "topic";
    public const string AllKeys = "#";

    /// <summary>MassTransit moves a message that failed all its retries to "{queue}_error", with the reason in its headers.</summary>
    public const string ErrorQueueSuffix = "_error";

    /// <summary>MassTransit moves a message no consumer of the queue takes to "{queue}_skipped".</summary>
    public const string SkippedQueueSuffix = "_skipped";

    public static string ErrorQueue(string queue) => queue + ErrorQueueSuffix;

    /// <summary>True for the queues where MassTransit parks messages: "{queue}_error" and "{queue}_skipped".</summary>
    public static bool IsParkingQueue(string queue) =>
        queue.EndsWith(ErrorQueueSuffix, StringComparison.Ordinal) || queue.EndsWith(SkippedQueueSuffix, StringComparison.Ordinal);

    /// <summary>The queue a parked message came from: "{queue}" for "{queue}_error" or "{queue}_skipped", else null.</summary>
    public static string? OriginalQueue(string parkingQueue) =>
        parkingQueue.EndsWith(ErrorQueueSuffix, StringComparison.Ordinal) ? parkingQueue[..^ErrorQueueSuffix.Length]
        : parkingQueue.EndsWith(SkippedQueueSuffix, StringComparison.Ordinal) ? parkingQueue[..^SkippedQueueSuffix.Length]
        : null;

    /// <summary>
    /// A process's own bus endpoint (MassTransit's temporary queue and exchange, where request/response replies would
    /// arrive): "{owner}.bus-{id}", inside the names its broker user may use, instead of MassTransit's
    /// "{machine}_{process}_bus_{id}", which every role would need rights on (so one could write into another's).
    /// </summary>
    public static string BusEndpoint(string owner) => $"{owner}.bus-{Guid.NewGuid():N}";

    /// <summary>True for a process's temporary bus endpoint (<see cref="BusEndpoint"/>, or MassTransit's default name): gone with the process.</summary>
    public static bool IsBusEndpoint(string queue) =>
        queue.Contains(".bus-", StringComparison.Ordinal) || queue.Contains("_bus_", StringComparison.Ordinal);
}
