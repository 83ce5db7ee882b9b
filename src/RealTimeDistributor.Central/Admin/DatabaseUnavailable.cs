using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// A request that meets the central database down (a failover under way, <see cref="Resilience.IsTransient"/>) is
/// answered 503 with Retry-After, not 500: a read can simply be sent again, and so can an edit, which committed nothing
/// (<see cref="CommitRetry"/> retried it for as long as it waits). An edit whose commit outcome stayed unknown
/// (<see cref="CommitOutcomeUnknownException"/>) is answered 503 too, saying so: the caller re-reads before editing again.
/// </summary>
internal static class DatabaseUnavailable
{
    public static void UseDatabaseUnavailableAnswer(this WebApplication app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context);
        }
        catch (Exception exception) when (!context.Response.HasStarted
            && (exception is CommitOutcomeUnknownException || Resilience.IsTransient(exception)))
        {
            var unknown = exception as CommitOutcomeUnknownException;
            context.RequestServices.GetRequiredService<ILogger<WebApplication>>().LogWarning(exception,
                "{Method} {Path} answered 503: the central database is unavailable (outcome {Outcome})", context.Request.Method, context.Request.Path,
                unknown is null ? "nothing written" : "unknown");
            context.Response.Headers.RetryAfter = "2";
            await Results.Problem(
                unknown?.Message ?? "The central database is unavailable (a failover under way?); nothing was written. Retry in a few seconds.",
                statusCode: 503, title: unknown is null ? "Database unavailable" : "Outcome unknown",
                extensions: unknown is null ? null : new Dictionary<string, object?> { ["commitId"] = unknown.CommitId }).ExecuteAsync(context);
        }
    });
}
