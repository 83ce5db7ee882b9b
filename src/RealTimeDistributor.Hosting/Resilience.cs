using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The Polly pipeline around database work that consumes from a queue. Transient database errors are retried with
/// jittered exponential backoff, without limit: while the database is down the message being applied waits (unacked, so
/// it and everything behind it stay in the queue, in order, and nothing floods the error queue); the circuit breaker
/// stops hammering a database that is down and lets one trial through every break. Apply resumes when it returns.
/// A connection the server ended (its backend terminated, 57P01, or the server restarted) empties the connection pools
/// before the retry: the idle pooled connections are dead too, and each would otherwise fail its first use in turn.
/// A database that is read-only (25006: a standby, a database set default_transaction_read_only), in recovery or
/// restarting (57P03 cannot connect now, 57P01/57P02 shutdown) is waited out like one that is down, never taken for a bad
/// message; a read-only refusal empties the pools too (a session keeps the read-only default it started with).
/// </summary>
public static class Resilience
{
    /// <param name="dataSource">The data source the work uses, if any: its pool is emptied too (a data source keeps a pool of its own).</param>
    public static ResiliencePipeline DatabasePipeline(ILogger logger, string what, NpgsqlDataSource? dataSource = null) => new ResiliencePipelineBuilder()
        .AddRetry(UntilItWorks(IsTransient, logger, "{What} is waiting for the database (attempt {Attempt})", what, logEvery: 10,
            onRetry: exception =>
            {
                if (NeedsNewConnections(exception))
                {
                    dataSource?.Clear();
                    NpgsqlConnection.ClearAllPools();
                }
            }))
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
            FailureRatio = 0.5,
            MinimumThroughput = 4,
            SamplingDuration = TimeSpan.FromSeconds(10),
            BreakDuration = TimeSpan.FromSeconds(2),
            OnOpened = args =>
            {
                logger.LogError("{What}: the database looks down; pausing for {Break}", what, args.BreakDuration);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                logger.LogWarning("{What}: the database is back", what);
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    /// <summary>
    /// Around publishing to the broker after a commit: retried without limit (jittered, up to 5 s apart), so a change already
    /// committed to the replica is not dropped to the error queue because the site vhost was briefly unreachable.
    /// </summary>
    public static ResiliencePipeline BrokerPipeline(ILogger logger, string what) => new ResiliencePipelineBuilder()
        .AddRetry(UntilItWorks(e => e is not OperationCanceledException, logger, "{What} is waiting for the broker (attempt {Attempt})", what, logEvery: 1))
        .Build();

    /// <summary>Retry without limit, jittered exponential backoff from 100 ms up to 5 s, logging every <paramref name="logEvery"/>th attempt.</summary>
    private static RetryStrategyOptions UntilItWorks(Func<Exception, bool> handles, ILogger logger, string message, string what, int logEvery,
        Action<Exception>? onRetry = null) => new()
        {
            ShouldHandle = new PredicateBuilder().Handle(handles),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                if (args.Outcome.Exception is { } exception)
                {
                    onRetry?.Invoke(exception);
                }
                if (args.AttemptNumber % logEvery == 0)
                {
                    logger.LogWarning(args.Outcome.Exception, message, what, args.AttemptNumber + 1);
                }
                return ValueTask.CompletedTask;
            },
        };

    /// <summary>Errors worth retrying: the database or the network to it, never a bad message.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        BrokenCircuitException => true,
        NpgsqlException { IsTransient: true } => true,
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exceptions
            || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal) // admin shutdown, cannot connect now
            || postgres.SqlState == PostgresErrorCodes.TooManyConnections
            || postgres.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction, // a standby, or a database made read-only: it comes back
        NpgsqlException { InnerException: SocketException or IOException or TimeoutException } => true,
        _ when exception.InnerException is { } inner => IsTransient(inner),
        _ => false,
    };

    /// <summary>The server ended the connection (a terminated backend, a shutdown) or the network to it broke.</summary>
    public static bool IsConnectionLost(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            || postgres.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException { InnerException: SocketException or IOException } => true,
        _ when exception.InnerException is { } inner => IsConnectionLost(inner),
        _ => false,
    };

    /// <summary>
    /// The pooled connections are of no more use: the server ended them (<see cref="IsConnectionLost"/>), or they were
    /// opened while the database refused writes (25006) and would go on refusing them after it takes writes again.
    /// </summary>
    public static bool NeedsNewConnections(Exception exception) => IsConnectionLost(exception) || exception switch
    {
        PostgresException postgres => postgres.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction,
        _ when exception.InnerException is { } inner => NeedsNewConnections(inner),
        _ => false,
    };

    /// <summary>
    /// Runs <paramref name="step"/> again and again until the host stops; a failure is logged and waits 0.4 s, doubling to
    /// at most 10 s while the failures go on, each wait jittered (half of it fixed, half random): the many consumers a
    /// broker restart cuts off at once do not come back at once. With <paramref name="reconnect"/> the waits are its own
    /// (<see cref="BrokerReconnect.Delay"/>), and a step that ran <see cref="BrokerReconnect.StartOverAfter"/> before it
    /// failed starts the count over.
    /// </summary>
    public static async Task RepeatUntilStoppedAsync(Func<CancellationToken, Task> step, ILogger logger, string what, CancellationToken stoppingToken,
        BrokerReconnect? reconnect = null)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await step(stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                failures = reconnect is not null && Stopwatch.GetElapsedTime(started) > BrokerReconnect.StartOverAfter ? 1 : failures + 1;
                var delay = reconnect?.Delay(failures - 1, Random.Shared.NextDouble())
                    ?? BrokerReconnect.Backoff(TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(10), failures - 1, Random.Shared.NextDouble());
                logger.LogWarning(exception, "{What} failed ({Failures} in a row); retrying in {Delay}", what, failures, delay);
                await Task.Delay(delay, stoppingToken);
            }
        }
    }
}
