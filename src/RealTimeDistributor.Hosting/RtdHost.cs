using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace RealTimeDistributor.Hosting;

/// <summary>The set-up every host (central, distributor, client) shares; each host's Build adds only what is its own.</summary>
public static class RtdHost
{
    /// <summary>
    /// A web application builder rooted at the program's folder (appsettings.json beside the binary, whatever the working
    /// directory), with the caller's <paramref name="configure"/> applied (tests add settings there), listening on
    /// <paramref name="defaultUrls"/> unless "Urls" is set.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, Action<WebApplicationBuilder>? configure, string defaultUrls)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration["Urls"]))
        {
            builder.WebHost.UseUrls(defaultUrls);
        }
        return builder;
    }

    /// <summary>
    /// The service defaults (<see cref="ServiceDefaults.AddServiceDefaults"/>), the broker settings and the clock as
    /// services, and a preflight that fails the start with a clear reason when the database (if the host has one) or one
    /// of the <paramref name="virtualHosts"/> cannot be reached. Call it before anything that starts (hosted services
    /// start in registration order).
    /// </summary>
    public static void AddRtdDefaults(this WebApplicationBuilder builder, string process, string site, RabbitMqSettings broker,
        IReadOnlyList<string> virtualHosts, (string ConnectionString, string Key)? database = null, IReadOnlyDictionary<string, string>? properties = null)
    {
        builder.AddServiceDefaults(process, site, properties);
        builder.Services.AddSingleton(broker);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddStartupTask(async (_, ct) =>
        {
            if (database is { } db)
            {
                await Preflight.PostgresAsync(db.ConnectionString, db.Key, broker.ConnectTimeout, ct);
            }
            foreach (var virtualHost in virtualHosts)
            {
                await Preflight.RabbitMqAsync(broker, virtualHost, ct);
            }
        });
    }
}
