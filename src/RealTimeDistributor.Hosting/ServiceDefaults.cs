using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Serilog;
using Serilog.Events;
using Serilog.Filters;

namespace RealTimeDistributor.Hosting;

public static class ServiceDefaults
{
    public const string ConsoleTemplate = "[{Timestamp:HH:mm:ss.fff} {Level:u3}] {Process}@{Site} {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// What every host does: Serilog to the console always and to Seq when "Seq:ServerUrl" is set,
    /// enriched with Process and Site (and whatever else the host scopes, such as Workstation); the
    /// <see cref="RtdMetrics"/> meter exported for Prometheus, traces by Telemetry:Exporter (<see cref="RtdTracing"/>), and
    /// health checks (mapped by MapHealthAndMetrics).
    /// <code>
    /// "Seq": { "ServerUrl": "http://127.0.0.1:5341", "ApiKey": "" },
    /// "Logs": { "ToStandardError": false }
    /// </code>
    /// Logs:ToStandardError sends every console log line to stderr (rtd client does, so its stdout is only the view).
    /// Error and Fatal are for what needs a person: expected events (a first migration, a message handed back) are not
    /// logged as errors (When_a_host_starts_for_the_first_time).
    /// </summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder, string process, string site,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        builder.Services.AddSerilog((_, logger) => Configure(logger, builder.Configuration, process, site, properties));
        builder.Services.AddRtdMassTransitHostOptions();
        // metrics (GET /metrics) and health checks (GET /health): app.MapHealthAndMetrics()
        builder.Services.AddSingleton(sp => new RtdMetrics(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), process, site, properties));
        // service.name "rtd-central", "rtd-distributor", "rtd-client" (not unknown_service:dotnet), the instance its site
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService($"rtd-{process}", serviceNamespace: "RealTimeDistributor", serviceInstanceId:
                string.Join('/', new[] { site }.Concat(properties?.Values ?? []))))
            .WithMetrics(metrics => metrics.AddMeter(RtdMetrics.MeterName).AddPrometheusExporter());
        // traces of configuration edits, when Telemetry:Exporter says where to (RtdTracing)
        RtdTracing.Configure(telemetry, builder.Configuration);
        builder.Services.AddHealthChecks();
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(20));
        return builder;
    }

    public static LoggerConfiguration Configure(LoggerConfiguration logger, IConfiguration configuration, string process, string site,
        IReadOnlyDictionary<string, string>? properties = null)
    {
        logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            // a failed start is reported once, in one line, by HostRunner
            .MinimumLevel.Override("Microsoft.Extensions.Hosting.Internal.Host", LogEventLevel.Fatal)
            // the first migration of a new database logs a "database does not exist" error before creating it
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Database.Connection", LogEventLevel.Fatal)
            // and "Failed executing DbCommand" on a __EFMigrationsHistory not there yet; any command that fails reaches the
            // code that ran it as an exception, which logs it at the level it deserves (a retry, a refusal, a failure)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore.Database.Command", LogEventLevel.Fatal)
            // a message handed back to its queue is expected, logged at Warning by the code that hands it back (HandBackException)
            .Filter.ByExcluding(e => HandBackException.IsIn(e.Exception) && Matching.FromSource("MassTransit")(e))
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Process", process)
            .Enrich.WithProperty("Site", site)
            .WriteTo.Console(outputTemplate: ConsoleTemplate,
                standardErrorFromLevel: configuration.Bool("Logs:ToStandardError", false) ? LogEventLevel.Verbose : LogEventLevel.Fatal);
        foreach (var (name, value) in properties ?? new Dictionary<string, string>())
        {
            logger.Enrich.WithProperty(name, value);
        }
        var seq = configuration["Seq:ServerUrl"];
        if (!string.IsNullOrWhiteSpace(seq))
        {
            if (!Uri.TryCreate(seq, UriKind.Absolute, out _))
            {
                throw new InvalidConfigurationException("Seq:ServerUrl", $"is '{seq}': it must be an absolute URL such as http://127.0.0.1:5341.");
            }
            logger.WriteTo.Seq(seq, apiKey: configuration["Seq:ApiKey"], period: TimeSpan.FromMilliseconds(500));
        }
        return logger;
    }
}
