using MassTransit;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Admin;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Central.Snapshots;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central;

/// <summary>
/// Builds the central controller. Configuration keys (environment form in brackets):
/// ConnectionStrings:Central (ConnectionStrings__Central), RabbitMq:* (RabbitMq__*), RealTime:* (RealTime__*),
/// Urls (default http://127.0.0.1:5080), Seq:ServerUrl.
/// </summary>
public static class CentralHost
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        configure?.Invoke(builder);
        if (string.IsNullOrWhiteSpace(builder.Configuration["Urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }
        var broker = RabbitMqSettings.From(builder.Configuration);
        var connectionString = builder.Configuration.Required("ConnectionStrings:Central");
        var realTime = RealTimeOptions.From(builder.Configuration);
        builder.AddServiceDefaults("central", "central");

        builder.Services.AddSingleton(broker);
        builder.Services.AddSingleton(realTime);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<CentralStats>();
        builder.Services.AddSingleton<ChangeLogSignal>();
        builder.Services.AddSingleton<VersionClock>();
        builder.Services.AddSingleton<RealTimePublisher>();
        builder.Services.AddSingleton<RealTimeSnapshotSender>();
        builder.Services.AddScoped<ConfigWriter>();
        builder.Services.AddSingleton(sp =>
        {
            using var scope = sp.CreateScope();
            return new RealTimeDistributor.Data.Configuration.ConfigSql(scope.ServiceProvider.GetRequiredService<CentralDbContext>().Model);
        });
        builder.Services.AddDbContext<CentralDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.AddHealthChecks().AddPostgres("central-database", connectionString);

        builder.Services.AddStartupTask(async (_, ct) =>
        {
            await Preflight.PostgresAsync(connectionString, "ConnectionStrings:Central", broker.ConnectTimeout, ct);
            await Preflight.RabbitMqAsync(broker, broker.CentralVirtualHost, ct);
        });
        builder.Services.AddStartupTask(async (sp, ct) =>
        {
            await using var scope = sp.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<CentralDbContext>().Database.MigrateAsync(ct);
        });
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<ConfigSnapshotConsumer>();
            x.AddConsumer<RealTimeSnapshotConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.UseRtdBroker(broker, broker.CentralVirtualHost, "rtd central");
                Topology.Central.ConfigurePublishers(cfg);
                cfg.ReceiveEndpoint(Topology.Central.ConfigSnapshotQueue, e =>
                {
                    Topology.Central.ConfigureConfigSnapshotQueue(e);
                    e.ConfigureConsumer<ConfigSnapshotConsumer>(context);
                });
                cfg.ReceiveEndpoint(Topology.Central.RealTimeSnapshotQueue, e =>
                {
                    Topology.Central.ConfigureRealTimeSnapshotQueue(e);
                    e.ConfigureConsumer<RealTimeSnapshotConsumer>(context);
                });
            });
        });
        builder.Services.AddHostedService<ChangeLogRelay>();
        builder.Services.AddSingleton<StatisticsEngine>();
        builder.Services.AddSingleton<IActivitySource, SimulatedActivity>();
        builder.Services.AddHostedService<RealTimeFeed>();

        var app = builder.Build();
        app.MapAdminApi();
        return app;
    }
}
