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
        builder.Services.AddSingleton(_ => new ClientView(settings.QueueMaxLength, settings.Bindings, settings.MaxSequenceJump, settings.MaxEpochAhead));
        builder.Services.AddSingleton<SnapshotLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SnapshotLoader>());
        // the stream: raw RabbitMQ.Client on the client's own queue; the start waits until it is bound, then it asks the loader for the first snapshot
        var link = SiteUpdateConsumer.Link(broker, settings, TimeProvider.System);
        builder.Services.AddSingleton(link);
        builder.Services.AddHealthChecks().AddBrokerLink(link);
        builder.Services.AddHostedService<SiteUpdateConsumer>();
        builder.Services.AddHostedService<ViewReporter>();
        builder.Services.AddWallboard(builder.Configuration);

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
