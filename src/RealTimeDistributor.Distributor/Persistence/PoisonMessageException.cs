using MassTransit;
using Npgsql;

namespace RealTimeDistributor.Distributor.Persistence;

/// <summary>A message that can never apply; it goes to the error queue with this reason.</summary>
public sealed class PoisonMessageException(long sequence, string reason) : Exception(reason)
{
    public PoisonMessageException(string reason)
        : this(0, reason)
    {
    }

    /// <summary>The configuration sequence of the change, when the message is one.</summary>
    public long Sequence { get; } = sequence;

    /// <summary>
    /// The database refuses the data itself (SQLSTATE class 22, data exception, or 23, integrity constraint violation):
    /// it will never fit, however often it is retried.
    /// </summary>
    public static bool IsDataError(PostgresException exception) =>
        exception.SqlState.StartsWith("23", StringComparison.Ordinal) || exception.SqlState.StartsWith("22", StringComparison.Ordinal);

    /// <summary>A message whose content type is not application/json is poison, whatever its body (docs/wire-format.md).</summary>
    public static void RequireJson(string? contentType)
    {
        if (!System.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !string.Equals(mediaType.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            throw new PoisonMessageException($"The content type is '{contentType}', not application/json.");
        }
    }

    /// <summary>
    /// The retry of the distributor's central endpoints: a passing failure (the replica busy, a lost connection) is tried
    /// again three times within two seconds; poison never is, it goes straight to the error queue. Nor is a message this
    /// process cannot apply because it does not hold the site lease: the holder takes it.
    /// </summary>
    public static void RetryOthers(IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(r =>
        {
            r.Ignore<PoisonMessageException>();
            r.Ignore<Site.NotLeaseHolderException>();
            r.Intervals(100, 500, 1000);
        });
}
