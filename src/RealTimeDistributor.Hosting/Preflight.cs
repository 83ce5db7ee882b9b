using Npgsql;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Checks at start that the broker and the database answer, so a wrong host ends the process with a message
/// that names it (and the keys that set it) instead of a retry loop or a stack trace.
/// </summary>
public static class Preflight
{
    public static async Task RabbitMqAsync(RabbitMqSettings settings, string virtualHost, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + settings.ConnectTimeout;
        while (true)
        {
            try
            {
                await using var connection = await RabbitMqConnections.ConnectAsync(settings, virtualHost, "rtd-preflight", cancellationToken);
                return;
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    throw new ServiceUnreachableException("RabbitMQ", settings.Endpoint(virtualHost), settings.Keys, exception,
                        HasInChain<System.Security.Authentication.AuthenticationException>(exception)
                            ? $"The broker's TLS certificate is not trusted: set {settings.ConfigurationSection}:CaCertificate to the PEM file of the CA that signed it, "
                                + "or add that CA to the system's trust store."
                            : null);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    public static async Task PostgresAsync(string connectionString, string key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                return; // the server answers; the migrations create the database
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                if (DateTimeOffset.UtcNow >= deadline)
                {
                    throw new ServiceUnreachableException("PostgreSQL", $"{builder.Host}:{builder.Port}/{builder.Database}", key, exception,
                        HasInChain<System.Security.Authentication.AuthenticationException>(exception)
                            ? "The database's TLS certificate is not trusted: add Root Certificate=<PEM file of the CA that signed it> to the "
                                + "connection string, or add that CA to the system's trust store."
                            : null);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    private static bool HasInChain<T>(Exception? exception) where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T || (exception is AggregateException aggregate && aggregate.InnerExceptions.Any(HasInChain<T>)))
            {
                return true;
            }
        }
        return false;
    }
}
