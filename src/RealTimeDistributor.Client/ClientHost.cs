using MassTransit;
using RealTimeDistributor.Client.Snapshots;
using RealTimeDistributor.Client.Stream;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client;

/// <summary>
/// Builds a client workstation. Configuration keys (environment form in brackets): Client:Site (Client__Site),
/// Client:Workstation (Client__Workstation), Client:Bindings, RabbitMq:* (RabbitMq__*), Urls (default http://127.0.0.1:5090).
/// </summary>
public static class ClientHost
{
    public const string DefaultUrls = "http://127.0.0.1:5090";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = RtdHost.CreateBuilder(args, configure, DefaultUrls);
        var settings = ClientSettings.From(builder.Configuration);
        var broker = RabbitMqSettings.From(builder.Configuration);
        builder.AddRtdDefaults("client", settings.Site, broker, [Topology.Site.VirtualHost(settings.Site)],
            properties: new Dictionary<string, string> { ["Workstation"] = settings.Workstation });

        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(_ => new ClientView(settings.QueueMaxLength, settings.Bindings, settings.MaxSequenceJump));
        builder.Services.AddSingleton<SnapshotLoader>();
        builder.Services.AddMassTransit(x =>
        {
            x.AddConsumer<SiteUpdateConsumer>();
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.UseRtdBroker(broker, Topology.Site.VirtualHost(settings.Site), $"rtd {settings.Site} client {settings.Workstation}",
                    Topology.Site.ClientQueue(settings.Site, settings.Workstation));
                SiteUpdateConsumer.Configure(cfg, context, settings);
            });
        });
        builder.Services.AddBrokerBindings(broker);
        builder.Services.AddHostedService<ViewReporter>();
        builder.Services.AddWallboard(builder.Configuration);
        // after MassTransit, which has bound the client's queue by then: the snapshot is requested only once nothing can be missed
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SnapshotLoader>());

        var app = builder.Build();
        app.MapGet("/view", (ClientView view) => Results.Ok(view.Rows()));
        app.MapGet("/stats", (ClientView view) => Results.Ok(new
        {
            site = settings.Site,
            workstation = settings.Workstation,
            view.LastSiteSequence,
            view.SnapshotSequence,
            view.Snapshots,
            view.SnapshotRows,
            view.Buffered,
            view.ConfigChanges,
            view.RealTimeRows,
            view.Duplicates,
            view.Gaps,
            view.CenterUnreachableSince,
            view.Refused,
            view.Epoch,
            view.StaleEpochs,
            view.Resets,
        }));
        app.MapHealthAndMetrics();
        app.MapWallboard();
        return app;
    }
}
