namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// A refused request of the admin and ingest APIs (401, 403, 4xx of the input, 429) is the caller's doing, not a fault
/// here: one Information line with its status and reason, no stack trace. Under a flood the lines are sampled: at most
/// <see cref="LinesPerSecond"/> a second; the refusals beyond are counted and said in one line with the next refusal
/// logged after that second, so a flood of bad keys cannot fill the log.
/// </summary>
public sealed class RefusalLog(ILogger<RefusalLog> logger, TimeProvider clock)
{
    public const int LinesPerSecond = 10;

    private readonly Lock _gate = new();
    private long _second;
    private int _logged;
    private long _unlogged;

    public void Refused(HttpContext http, int status, string? reason)
    {
        long unlogged;
        lock (_gate)
        {
            var second = clock.GetUtcNow().ToUnixTimeSeconds();
            if (second != _second)
            {
                (_second, _logged) = (second, 0);
            }
            if (_logged == LinesPerSecond)
            {
                _unlogged++;
                return;
            }
            _logged++;
            (unlogged, _unlogged) = (_unlogged, 0);
        }
        if (unlogged > 0)
        {
            logger.LogInformation("{Unlogged} more refused requests were not logged one by one (at most {LinesPerSecond} lines a second)", unlogged,
                LinesPerSecond);
        }
        logger.LogInformation("Refused {Method} {Path} from {Caller} at {RemoteAddress} with {Status}: {Reason}", http.Request.Method, http.Request.Path.Value,
            http.User.Identity?.Name ?? "?", http.Connection.RemoteIpAddress?.ToString(), status, reason);
    }
}
