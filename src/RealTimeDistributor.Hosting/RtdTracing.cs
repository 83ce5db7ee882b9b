using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;
using OpenTelemetry.Trace;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The trace of a configuration edit (docs/operations.md, "Following one edit"): one ActivitySource, "RealTimeDistributor",
/// one span per hop (<see cref="Hops"/>), joined across processes by W3C trace context: the "traceparent" header of each
/// message, and the change log row's trace_parent column across the central database. Exported by configuration:
/// <code>"Telemetry": { "Exporter": "none" | "console" | "otlp", "OtlpEndpoint": "http://127.0.0.1:4318/v1/traces" }</code>
/// (default none: no span is made, no header written). otlp sends OTLP/HTTP (protobuf) to the endpoint.
/// </summary>
public static class RtdTracing
{
    public const string SourceName = "RealTimeDistributor";

    /// <summary>The W3C trace context header, as AMQP header and change log column.</summary>
    public const string Header = "traceparent";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>The span names, in the order an edit passes them.</summary>
    public static class Hops
    {
        public const string Commit = "rtd.config.commit";
        public const string Relay = "rtd.config.relay";
        public const string Apply = "rtd.distributor.apply";
        public const string SitePublish = "rtd.site.publish";
        public const string ClientView = "rtd.client.view";
    }

    /// <summary>The tag every hop carries: the configuration sequence it concerns.</summary>
    public const string SequenceTag = "rtd.config.sequence";

    /// <summary>Starts a hop's span as the child of <paramref name="traceParent"/> (a W3C traceparent), or null when nothing listens or there is no parent.</summary>
    public static Activity? StartHop(string name, ActivityKind kind, string? traceParent, long sequence)
    {
        if (traceParent is null || !ActivityContext.TryParse(traceParent, null, out var parent))
        {
            return null;
        }
        return Source.StartActivity(name, kind, parent)?.SetTag(SequenceTag, sequence);
    }

    /// <summary>The W3C traceparent of <paramref name="activity"/>, or null.</summary>
    public static string? TraceParent(Activity? activity) => activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>The traceparent header of an AMQP message (RabbitMQ.Client gives header strings as bytes), or null.</summary>
    public static string? FromHeaders(IDictionary<string, object?>? headers) =>
        headers is not null && headers.TryGetValue(Header, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                _ => null,
            }
            : null;

    /// <summary>Adds tracing to a host when Telemetry:Exporter is console or otlp.</summary>
    public static void Configure(OpenTelemetry.OpenTelemetryBuilder telemetry, IConfiguration configuration)
    {
        var exporter = configuration["Telemetry:Exporter"] ?? "none";
        if (exporter == "none")
        {
            return;
        }
        if (exporter is not ("console" or "otlp"))
        {
            throw new InvalidConfigurationException("Telemetry:Exporter", $"is '{exporter}': use none, console or otlp.");
        }
        Uri? endpoint = null;
        if (exporter == "otlp" && !Uri.TryCreate(configuration["Telemetry:OtlpEndpoint"], UriKind.Absolute, out endpoint))
        {
            throw new InvalidConfigurationException("Telemetry:OtlpEndpoint",
                $"is '{configuration["Telemetry:OtlpEndpoint"]}': with Telemetry:Exporter otlp it must be an absolute URL such as http://127.0.0.1:4318/v1/traces.");
        }
        telemetry.WithTracing(tracing =>
        {
            // the admin API's edits are the root of an edit's trace; nothing else of ASP.NET Core is traced
            tracing.AddSource(SourceName).AddAspNetCoreInstrumentation(o => o.Filter = context =>
                context.Request.Path.StartsWithSegments("/api/config", StringComparison.Ordinal) && !HttpMethods.IsGet(context.Request.Method));
            if (endpoint is null)
            {
                tracing.AddConsoleExporter();
            }
            else
            {
                tracing.AddOtlpExporter(o =>
                {
                    o.Endpoint = endpoint;
                    o.Protocol = OtlpExportProtocol.HttpProtobuf;
                });
            }
        });
    }
}
