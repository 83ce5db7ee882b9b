using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The request rate limit of the admin and ingest APIs (every path under /api; /stats, /health and /metrics stay open):
/// at most <c>Admin:RateLimit:PerKey</c> requests a second with one key (default 1,000) and
/// <c>Admin:RateLimit:PerAddress</c> from one remote address (default 2,000, whatever the key: requests with an unknown
/// key or none count here only). A request beyond either gets 429 with the reason and Retry-After: 1, logged as a refusal
/// (<see cref="RefusalLog"/>). ASP.NET Core's rate limiter, fixed one-second windows, no queue.
/// </summary>
internal sealed record AdminRateLimits(int PerKey, int PerAddress)
{
    public static AdminRateLimits From(IConfiguration configuration) => new(
        configuration.Int("Admin:RateLimit:PerKey", 1000, 1, 1_000_000),
        configuration.Int("Admin:RateLimit:PerAddress", 2000, 1, 1_000_000));
}

internal static class AdminRateLimiting
{
    public static void AddAdminRateLimits(this WebApplicationBuilder builder)
    {
        var limits = AdminRateLimits.From(builder.Configuration);
        builder.Services.AddSingleton(limits);
        var byAddress = PartitionedRateLimiter.Create<HttpContext, IPAddress>(http =>
            IsLimited(http) && http.Connection.RemoteIpAddress is { } address
                ? RateLimitPartition.GetFixedWindowLimiter(address, _ => PerSecond(limits.PerAddress))
                : RateLimitPartition.GetNoLimiter(IPAddress.None));
        var byKey = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            IsLimited(http) && http.User.Identity is { IsAuthenticated: true, Name: { } key }
                ? RateLimitPartition.GetFixedWindowLimiter(key, _ => PerSecond(limits.PerKey))
                : RateLimitPartition.GetNoLimiter(""));
        builder.Services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(byAddress, byKey);
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                // the limit that has no permit left (the chained limiter does not say which refused)
                var byThisKey = byKey.GetStatistics(http)?.CurrentAvailablePermits == 0;
                var reason = byThisKey
                    ? $"More than {limits.PerKey.ToString("N0", CultureInfo.InvariantCulture)} requests a second with key '{http.User.Identity?.Name}' (Admin:RateLimit:PerKey): try again in a second."
                    : $"More than {limits.PerAddress.ToString("N0", CultureInfo.InvariantCulture)} requests a second from address {http.Connection.RemoteIpAddress} (Admin:RateLimit:PerAddress): try again in a second.";
                http.RequestServices.GetRequiredService<RefusalLog>().Refused(http, StatusCodes.Status429TooManyRequests, reason);
                http.Response.Headers.RetryAfter = "1";
                await Results.Problem(reason, statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
            };
        });
    }

    private static bool IsLimited(HttpContext http) => http.Request.Path.StartsWithSegments("/api");

    private static FixedWindowRateLimiterOptions PerSecond(int permits) =>
        new() { PermitLimit = permits, Window = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true };
}
