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

    /// <summary>
    /// The distributor's start-up sequence, written here and nowhere else: one <see cref="StartupSequence"/>, whose steps
    /// the host starts in this order and stops in the reverse, so each step below is placed for both:
    /// <list type="number">
    /// <item>the preflight checks (<see cref="RtdHost.AddRtdDefaults"/>, registered before: the replica, the central vhost;
    /// here: the site vhost) and the replica's migrations and <c>sync_state</c> row: nothing below runs against a broker or
    /// database that is not there;</item>
    /// <item><see cref="SiteLease"/>: needs its row; started before every consumer and apply loop, so it stops after them:
    /// they stop before it gives the lease up;</item>
    /// <item>each apply loop before what feeds it, so it stops after it: on shutdown a consumer stops taking and waits for
    /// the changes in flight, which the loop is still there to finish. So: <see cref="ConfigStream"/>, then the
    /// configuration queue's consumer (<see cref="ConfigChangedConsumer"/>); <see cref="RealTimeIntake"/>, then the buses
    /// (MassTransit's one hosted service starts both: the central bus, and the site bus answering workstations' snapshot
    /// requests) and the real-time queue's endpoint on the central bus (<see cref="RealTimeEndpoint"/>, attached only
    /// while the site lease is held);</item>
    /// <item><see cref="SiteStatusPublisher"/>;</item>
    /// <item>the broker bindings wait, after the buses: the start waits for their endpoints' bindings, so the real-time
    /// load that follows misses nothing;</item>
    /// <item><see cref="RealTimeSnapshotLoader"/> last: the central bus's endpoint receives its chunks.</item>
    /// </list>
    /// What needs more than its turn waits for it explicitly: the configuration loop and the real-time endpoint for
    /// ApplicationStarted (every step up), the consumers for the site lease. The order is checked by a test of the built
    /// host's hosted services (When_a_distributor_starts).
    /// </summary>
    private static StartupSequence Startup(DistributorSettings settings, RabbitMqSettings broker, RabbitMqSettings siteBroker) => new StartupSequence()
        .Then("preflight: the site vhost", (_, ct) => Preflight.RabbitMqAsync(siteBroker, Topology.Site.VirtualHost(settings.Site), ct))
        .Then("the replica's migrations and sync_state row", async (sp, ct) =>
        {
            await using var scope = sp.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
            // the apply path writes the configuration tables through their descriptors: they must match the mapping
            ConfigTables.Verify(db.Model);
            await MigrateAsync(db, ct);
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO sync_state (site, applied_config_sequence, site_sequence) VALUES ({settings.Site}, 0, 0) ON CONFLICT DO NOTHING", ct);
        })
        .Then("the site lease", sp => sp.GetRequiredService<SiteLease>())
        .Then("the configuration loop", sp => sp.GetRequiredService<ConfigStream>())
        .Then("the configuration queue's consumer", sp => ActivatorUtilities.CreateInstance<ConfigChangedConsumer>(sp, broker))
        .Then("the real-time intake", sp => sp.GetRequiredService<RealTimeIntake>())
        .ThenBuses("the buses (MassTransit: central and site)")
        .Then<RealTimeEndpoint>("the real-time queue's endpoint")
        .Then<SiteStatusPublisher>("the site status publisher")
        .Then("the broker bindings wait", BrokerDefinitions.BindingsWaitStep)
        .Then<RealTimeSnapshotLoader>("the real-time snapshot load");

    private static void AddStartupSequence(IServiceCollection services, DistributorSettings settings, RabbitMqSettings broker, RabbitMqSettings siteBroker)
    {
        services.AddMassTransit(x =>
        {
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.UseRtdBroker(broker, broker.CentralVirtualHost, Topology.Central.DistributorConnectionName(settings.Site, settings.Instance),
                    Topology.Central.DistributorBusOwner(settings.Site));
            });
        });
        services.AddSiteSnapshots(settings, siteBroker);
        services.AddBrokerBindingsRegistry(broker);
        Startup(settings, broker, siteBroker).AddTo(services);
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

        builder.Services.AddSingleton<ConfigPipeline>();
        builder.Services.AddSingleton<ConfigStream>();
        builder.Services.AddSingleton<RealTimeIntake>();
        AddStartupSequence(builder.Services, settings, broker, siteBroker);

        var app = builder.Build();
        // the site stream's link is the holder's alone: a standby neither publishes nor heals it
        app.Services.GetRequiredService<SiteLease>().StoodDown += links.Site.NotInUse;
        app.MapDistributorStats(settings);
        app.MapHealthAndMetrics();
        var metrics = app.Services.GetRequiredService<RtdMetrics>();
        app.Services.GetRequiredService<DistributorStats>().ReportTo(metrics);
        app.Services.GetRequiredService<SnapshotSender>().ReportTo(metrics);
        app.Services.GetRequiredService<SiteSnapshotServer>().ReportTo(metrics);
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
