using MassTransit;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Admin;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Central.Snapshots;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Central;

/// <summary>
/// Builds the central controller. Configuration keys (environment form in brackets):
/// ConnectionStrings:Central (ConnectionStrings__Central), RabbitMq:* (RabbitMq__*), RealTime:* (RealTime__*),
/// Urls (default http://127.0.0.1:5080), Seq:ServerUrl, Admin:Keys:&lt;name&gt;:Hash/Role (the admin API's keys, at least one),
/// Admin:RateLimit:PerKey/PerAddress (<see cref="AdminRateLimits"/>), Central:Lease:Duration and Central:Checkpoint:Interval
/// (<see cref="CentralLeaseOptions"/>). Any number of instances may run on one central database: the holder of the central
/// lease (<see cref="CentralLease"/>) alone publishes; every instance serves the admin API and configuration snapshots.
/// </summary>
public static class CentralHost
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = RtdHost.CreateBuilder(args, configure, DefaultUrls);
        var broker = RabbitMqSettings.From(builder.Configuration);
        var connectionString = builder.Configuration.Required("ConnectionStrings:Central");
        var realTime = RealTimeOptions.From(builder.Configuration);
        var activity = ActivityOptions.From(builder.Configuration);
        var leaseOptions = CentralLeaseOptions.From(builder.Configuration);
        builder.AddRtdDefaults("central", "central", broker, [broker.CentralVirtualHost], (connectionString, "ConnectionStrings:Central"));

        builder.Services.AddSingleton(realTime);
        builder.Services.AddSingleton(activity);
        builder.Services.AddSingleton(leaseOptions);
        builder.Services.AddSingleton(sp => new CentralLease(connectionString, leaseOptions, sp.GetRequiredService<ILogger<CentralLease>>()));
        builder.Services.AddSingleton<StatisticsCheckpoints>();
        builder.Services.AddSingleton<CentralStats>();
        builder.Services.AddSingleton<ChangeLogSignal>();
        builder.Services.AddSingleton<VersionClock>();
        builder.Services.AddSingleton<RealTimePublisher>();
        builder.Services.AddSingleton(sp => new SnapshotSender(broker, broker.CentralVirtualHost, "rtd central snapshots",
            Topology.Central.IsSnapshotReplyQueue, (sender, site, _) => Topology.Central.MayRequestSnapshotOf(sender, site),
            sp.GetRequiredService<ILogger<SnapshotSender>>()));
        builder.Services.AddScoped<ConfigWriter>();
        builder.AddAdminAuthentication();
        builder.AddAdminRateLimits();
        builder.Services.AddDbContext<CentralDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.AddHealthChecks().AddPostgres("central-database", connectionString);

        builder.Services.AddStartupTask(async (sp, ct) =>
        {
            await using var scope = sp.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<CentralDbContext>().Database.MigrateAsync(ct);
        });
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<ConfigSnapshotConsumer>();
            x.AddConsumer<RealTimeSnapshotConsumer>().ExcludeFromConfigureEndpoints();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.UseRtdBroker(broker, broker.CentralVirtualHost, "rtd central", Topology.Central.ControllerBusOwner);
                ConfigSnapshotConsumer.Configure(cfg, context);
            });
        });
        builder.Services.AddBrokerBindings(broker);
        // after the migrations (a startup task), before everything that waits on it
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CentralLease>());
        builder.Services.AddHostedService<RealTimeSnapshotEndpoint>();
        builder.Services.AddHostedService<ChangeLogRelay>();
        builder.Services.AddSingleton(StatisticsRules.From(builder.Configuration));
        builder.Services.AddSingleton<StatisticsEngine>();
        if (activity.Source == ActivityOptions.Gateways)
        {
            builder.Services.AddSingleton<GatewayActivity>();
            builder.Services.AddSingleton<IActivitySource>(sp => sp.GetRequiredService<GatewayActivity>());
            builder.Services.AddSingleton<ActivityIngest>();
            builder.Services.AddHostedService<ActivityConsumer>();
        }
        else
        {
            builder.Services.AddSingleton<IActivitySource, SimulatedActivity>();
        }
        builder.Services.AddHostedService<RealTimeFeed>();

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<RtdMetrics>();
        app.Services.GetRequiredService<CentralStats>().ReportTo(metrics);
        app.Services.GetRequiredService<SnapshotSender>().ReportTo(metrics);
        app.Services.GetRequiredService<CentralLease>().ReportTo(metrics);
        app.UseDatabaseUnavailableAnswer();
        app.UseAuthentication();
        app.UseRateLimiter(); // after authentication: the limit per key needs the key's name
        app.UseAuthorization();
        app.MapAdminApi();
        return app;
    }
}
