using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// GET /health and GET /metrics for every host. /health runs the host's health checks: each MassTransit bus
/// ("masstransit-bus", registered by MassTransit) and the host's database ("central-database", "replica-database"); a
/// distributor's two broker links on their own ("central-broker", "site-broker", <see cref="BrokerLink"/>);
/// 200 when all are healthy (or degraded), 503 when one is not, with each check's status and reason as JSON.
/// </summary>
public static class HealthEndpoints
{
    public static WebApplication MapHealthAndMetrics(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteAsync });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>A check that the database answers (SELECT 1, at most 3 s).</summary>
    public static IHealthChecksBuilder AddPostgres(this IHealthChecksBuilder checks, string name, string connectionString) =>
        checks.AddCheck(name, new PostgresCheck(new NpgsqlConnectionStringBuilder(connectionString) { Timeout = 3, CommandTimeout = 3 }.ConnectionString));

    /// <summary>A check named after the link ("central-broker", "site-broker"): unhealthy while it is lost, saying since when.</summary>
    public static IHealthChecksBuilder AddBrokerLink(this IHealthChecksBuilder checks, BrokerLink link) =>
        checks.AddCheck(link.Name, new BrokerLinkCheck(link));

    private sealed class BrokerLinkCheck(BrokerLink link) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(link.Health());
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description ?? e.Value.Exception?.Message,
            }),
        }, Json.Options, context.RequestAborted);
    }

    private sealed class PostgresCheck(string connectionString) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var target = new NpgsqlConnectionStringBuilder(connectionString);
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy($"{target.Host}:{target.Port}/{target.Database} answers");
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy($"{target.Host}:{target.Port}/{target.Database}: {exception.Message}");
            }
        }
    }
}
