using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.RealTime;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor;

/// <summary>
/// Builds a site's distributor. Configuration keys (environment form in brackets): Distributor:Site (Distributor__Site),
/// Distributor:Instance, ConnectionStrings:Replica (ConnectionStrings__Replica), RabbitMq:* (RabbitMq__*: the central broker),
/// SiteRabbitMq:* (the site broker, same keys; absent: the central one),
/// Urls (default http://127.0.0.1:5081), Seq:ServerUrl.
/// </summary>
public static class DistributorHost
{
    public const string DefaultUrls = "http://127.0.0.1:5081";

    /// <summary>
    /// Creates or migrates the replica. Two instances of a site starting together on a new replica both try: the one that
    /// loses (the database, a table, a column or a history row already there) tries again once the other is done, and finds nothing
    /// left to do.
    /// </summary>
    private static async Task MigrateAsync(ReplicaDbContext db, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                return;
            }
            catch (PostgresException exception) when (attempt < 10 && exception.SqlState is PostgresErrorCodes.UniqueViolation
                or PostgresErrorCodes.DuplicateDatabase or PostgresErrorCodes.DuplicateTable or PostgresErrorCodes.DuplicateObject
                or PostgresErrorCodes.DuplicateColumn)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
    }

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = RtdHost.CreateBuilder(args, configure, DefaultUrls);
        var settings = DistributorSettings.From(builder.Configuration);
        var broker = RabbitMqSettings.From(builder.Configuration);
        // the site's own broker (SiteRabbitMq:*), or the one broker when that section is absent
        var siteBroker = RabbitMqSettings.SiteOrCentral(builder.Configuration, broker);
        var connectionString = builder.Configuration.Required("ConnectionStrings:Replica");
        builder.AddRtdDefaults("distributor", settings.Site, broker, [broker.CentralVirtualHost],
            (connectionString, "ConnectionStrings:Replica"), new Dictionary<string, string> { ["Instance"] = settings.Instance });
        builder.Services.AddStartupTask((_, ct) => Preflight.RabbitMqAsync(siteBroker, Topology.Site.VirtualHost(settings.Site), ct));

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<DistributorStats>();
        builder.Services.AddSingleton(sp => new PreviousHolderFence(broker, settings, sp.GetRequiredService<ILogger<PreviousHolderFence>>()));
        builder.Services.AddSingleton<SiteLease>();
        builder.Services.AddSingleton<CentralEpochFence>();
        var links = new SiteLinks(broker, siteBroker, settings, TimeProvider.System);
        builder.Services.AddSingleton(links);
        builder.Services.AddSingleton<ConfigTraces>();
        builder.Services.AddSingleton<SiteStream>();
        // the apply path runs the same few statements thousands of times: let Npgsql prepare them (parse and plan once)
        builder.Services.AddSingleton(_ => new NpgsqlDataSourceBuilder(connectionString) { ConnectionStringBuilder = { MaxAutoPrepare = 32 } }.Build());
        builder.Services.AddDbContext<ReplicaDbContext>(o => o.UseNpgsql(connectionString));
        builder.Services.AddScoped<ConfigApplier>();
        builder.Services.AddScoped<RealTimeApplier>();
        builder.Services.AddScoped<ConfigResync>();
        builder.Services.AddSingleton<ResyncGuard>();
        builder.Services.AddHealthChecks().AddPostgres("replica-database", connectionString).AddBrokerLink(links.Center).AddBrokerLink(links.Site);

        builder.Services.AddStartupTask(async (sp, ct) =>
        {
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
            // the apply path writes the configuration tables through their descriptors: they must match the mapping
            ConfigTables.Verify(db.Model);
            await MigrateAsync(db, ct);
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO sync_state (site, applied_config_sequence, site_sequence) VALUES ({settings.Site}, 0, 0) ON CONFLICT DO NOTHING", ct);
        });
        // after the migrations, and before every consumer and apply loop, so it stops after them: they stop before it gives the lease up
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SiteLease>());
        // the apply loops are registered before MassTransit so that they stop after it: on shutdown the bus stops consuming and waits for the
        // changes in flight, which the apply loop is still there to finish (hosted services stop in reverse order)
        builder.Services.AddSingleton<ConfigPipeline>();
        builder.Services.AddSingleton<ConfigStream>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigStream>());
        // after the apply loop, so it stops first: it stops consuming and lets the changes in flight finish
        builder.Services.AddHostedService(sp => ActivatorUtilities.CreateInstance<ConfigChangedConsumer>(sp, broker));
        builder.Services.AddSingleton<RealTimeIntake>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RealTimeIntake>());
        builder.Services.AddMassTransit(x =>
        {
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.UseRtdBroker(broker, broker.CentralVirtualHost, Topology.Central.DistributorConnectionName(settings.Site, settings.Instance),
                    Topology.Central.DistributorBusOwner(settings.Site));
            });
        });
        // the real-time queue's consumer is attached only while this process holds the site lease
        builder.Services.AddHostedService<RealTimeEndpoint>();
        builder.Services.AddSiteSnapshots(settings, siteBroker);
        builder.Services.AddHostedService<SiteStatusPublisher>();
        // after both buses: the start waits for their endpoints' bindings, so the real-time load below misses nothing
        builder.Services.AddBrokerBindings(broker);
        // after MassTransit, whose bus endpoint receives the chunks
        builder.Services.AddHostedService<RealTimeSnapshotLoader>();


        var app = builder.Build();
        // the site stream's link is the holder's alone: a standby neither publishes nor heals it
        app.Services.GetRequiredService<SiteLease>().StoodDown += links.Site.NotInUse;
        app.MapDistributorStats(settings);
        app.MapHealthAndMetrics();
        var metrics = app.Services.GetRequiredService<RtdMetrics>();
        app.Services.GetRequiredService<DistributorStats>().ReportTo(metrics);
        app.Services.GetRequiredService<SnapshotSender>().ReportTo(metrics);
        metrics.ObserveCounter("rtd.config.resyncs", "{resync}", "replica rebuilds from a central snapshot after a gap or a poison change",
            () => app.Services.GetRequiredService<ResyncGuard>().Count);
        metrics.ObserveCounter("rtd.central.stale_epoch_ignored", "{message}", "messages of a former active center (lower central epoch) ignored",
            () => app.Services.GetRequiredService<CentralEpochFence>().Ignored);
        // what the alert rules of infra/prometheus/rules.yml compare: the site against the center, and who holds the site
        var stream = app.Services.GetRequiredService<ConfigStream>();
        var lease = app.Services.GetRequiredService<SiteLease>();
        metrics.ObserveGauge("rtd.config.applied_sequence", "{change}", "the last configuration sequence this instance applied to the replica",
            () => stream.AppliedSequence);
        metrics.ObserveGauge("rtd.site.epoch", "{epoch}", "the epoch of the site lease this instance holds (none while it stands by)",
            () => lease.Current?.Epoch);
        metrics.ObserveGauge("rtd.site.lease_holder", "{instance}", "1 while this instance holds the site lease, 0 while it stands by",
            () => lease.Current is null ? 0 : 1);
        return app;
    }
}
