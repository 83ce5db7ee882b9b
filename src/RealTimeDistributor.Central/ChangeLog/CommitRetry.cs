using Npgsql;
using Polly;
using Polly.Retry;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>
/// The commit of an edit rides a database failover (the central database under Patroni behind HAProxy,
/// docs/deployment.md): a transient error (<see cref="Resilience.IsTransient"/>: 08xxx connection errors, 57P01
/// admin shutdown, 57P03 cannot connect now, 25006 read-only, a broken socket) is retried with jittered backoff
/// (100 ms doubling to 2 s) for at most <see cref="Budget"/>. An attempt that failed before its COMMIT was sent, or that
/// the server refused with an error of its own (the transaction rolled back), committed nothing and is simply run again.
/// An attempt cut while its COMMIT was in flight (the connection lost: the outcome is unknown) is never replayed
/// blindly: the next attempt first looks its commit id up in admin_audit, after waiting for the counter row's lock (so
/// a transaction still running on the server, e.g. waiting for the synchronous standby, has ended one way or the other).
/// Found: the edit committed, and its sequences are answered. Not found: it did not commit on the leader of record, and
/// will not (Patroni promotes only the synchronous standby, which holds every commit the old primary acknowledged), so
/// running it again hands out each sequence once. When the budget runs out on an unknown outcome the caller gets
/// <see cref="CommitOutcomeUnknownException"/> (HTTP 503: re-read before editing again).
/// </summary>
public sealed class CommitRetry(ILogger logger)
{
    /// <summary>How long an edit waits for the database: a Patroni failover takes about 10 s here (docs/reliability.md).</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="attempt"/> until it returns, retrying transient errors within <see cref="Budget"/>.
    /// <paramref name="commitSent"/> tells whether the failed attempt had sent its COMMIT; <paramref name="lookUp"/> finds
    /// the result of a commit that went through, or null.
    /// </summary>
    public async Task<T> RunAsync<T>(Guid commitId, Func<CancellationToken, Task<T>> attempt, Func<bool> commitSent,
        Func<CancellationToken, Task<T?>> lookUp, CancellationToken cancellationToken) where T : class
    {
        var started = TimeProvider.System.GetTimestamp();
        var unknown = false;
        var pipeline = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => Resilience.IsTransient(e)
                && TimeProvider.System.GetElapsedTime(started) < Budget),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(2),
            OnRetry = args =>
            {
                if (args.Outcome.Exception is { } exception && Resilience.NeedsNewConnections(exception))
                {
                    NpgsqlConnection.ClearAllPools(); // the idle pooled connections went with the old primary
                }
                logger.LogWarning(args.Outcome.Exception, "Configuration commit {CommitId} waits for the database (attempt {Attempt}, outcome {Outcome})",
                    commitId, args.AttemptNumber + 1, unknown ? "unknown" : "not committed");
                return ValueTask.CompletedTask;
            },
        }).Build();
        try
        {
            return await pipeline.ExecuteAsync(async ct =>
            {
                if (unknown)
                {
                    if (await lookUp(ct) is { } committed)
                    {
                        logger.LogWarning("Configuration commit {CommitId} had gone through before its connection was lost", commitId);
                        return committed;
                    }
                    unknown = false; // it did not commit, and will not: run it again
                }
                try
                {
                    return await attempt(ct);
                }
                catch (Exception exception) when (commitSent() && OutcomeUnknown(exception))
                {
                    unknown = true;
                    throw;
                }
            }, cancellationToken);
        }
        catch (Exception exception) when (unknown && Resilience.IsTransient(exception))
        {
            throw new CommitOutcomeUnknownException(commitId, exception);
        }
    }

    /// <summary>
    /// A failure while the COMMIT was in flight leaves its outcome unknown, unless the server itself answered with an
    /// error (then the transaction was rolled back): the connection was lost, or the server shut the session down.
    /// </summary>
    public static bool OutcomeUnknown(Exception exception) =>
        Resilience.IsTransient(exception) && (exception is not PostgresException || Resilience.IsConnectionLost(exception));
}

/// <summary>
/// An edit's COMMIT was sent and its answer lost, and the database did not come back within
/// <see cref="CommitRetry.Budget"/> to tell whether it went through: the caller must re-read before editing again.
/// </summary>
internal sealed class CommitOutcomeUnknownException(Guid commitId, Exception inner)
    : Exception($"The outcome of configuration commit {commitId} is unknown: the database connection was lost during the commit and did not come back " +
        $"within {CommitRetry.Budget.TotalSeconds:N0} s. Re-read the rows (or GET /api/audit) before editing again.", inner)
{
    public Guid CommitId { get; } = commitId;
}
