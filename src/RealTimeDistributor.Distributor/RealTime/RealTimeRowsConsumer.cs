using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// rtdist's intake: hands each real-time batch to <see cref="RealTimeIntake"/>, which applies whatever is waiting with
/// one bulk upsert and republishes the rows it wrote. A batch that cannot apply throws, and goes to the error queue with
/// its reason. A batch caught in flight when this process loses the site lease is dropped (acked, counted as
/// <c>realTimeBatchesDroppedStandby</c>): it cannot commit here, and real-time rows heal at the next full refresh, as
/// they do after the queue's drop-head.
/// </summary>
public sealed class RealTimeRowsConsumer(RealTimeIntake intake, DistributorStats stats, ILogger<RealTimeRowsConsumer> logger) : IConsumer<RealTimeRowsPublished>
{
    /// <summary>
    /// The site's real-time queue on the central bus (<see cref="Topology.Central.ConfigureDistributorRealTimeQueue"/>),
    /// its retry, and one consumer instance for every message (no DI scope per message).
    /// </summary>
    public static void Configure(IRabbitMqReceiveEndpointConfigurator endpoint, IServiceProvider services, DistributorSettings settings)
    {
        Topology.Central.ConfigureDistributorRealTimeQueue(endpoint);
        endpoint.BindWithoutDeclaring(services, Topology.Central.DistributorRealTimeQueue(settings.Site), Topology.Central.DistributorRealTimeBindings);
        PoisonMessageException.RetryOthers(endpoint);
        endpoint.Instance(ActivatorUtilities.CreateInstance<RealTimeRowsConsumer>(services));
    }

    public async Task Consume(ConsumeContext<RealTimeRowsPublished> context)
    {
        try
        {
            await intake.SubmitAsync(context.Message, context.CancellationToken);
        }
        catch (NotLeaseHolderException notHolder)
        {
            stats.DroppedStandby();
            logger.LogWarning("Dropped a real-time batch of {Table} ({Rows} rows): {Reason}", context.Message.Table, context.Message.Rows?.Count ?? 0,
                notHolder.Message);
        }
    }
}

/// <summary>
/// Attaches the real-time queue's consumer only while this process holds the site lease (<see cref="SiteLease"/>): it
/// connects the receive endpoint when the lease is first taken, stops it when the lease is lost (single active consumer
/// then passes the queue to the holder) and starts it again when the lease comes back.
/// </summary>
public sealed class RealTimeEndpoint(IReceiveEndpointConnector connector, SiteLease lease, DistributorSettings settings, IServiceProvider services,
    IHostApplicationLifetime lifetime, ILogger<RealTimeEndpoint> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        HostReceiveEndpointHandle? handle = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var holding = await lease.WaitAsync(stoppingToken);
            if (handle is null)
            {
                handle = connector.ConnectReceiveEndpoint(Topology.Central.DistributorRealTimeQueue(settings.Site),
                    (_, e) => RealTimeRowsConsumer.Configure((IRabbitMqReceiveEndpointConfigurator)e, services, settings));
                await handle.Ready.WaitAsync(stoppingToken);
            }
            else
            {
                await handle.ReceiveEndpoint.Start(stoppingToken).Ready.WaitAsync(stoppingToken);
            }
            logger.LogInformation("Consuming the real-time queue at epoch {Epoch}", holding.Grant.Epoch);
            try
            {
                await Task.Delay(Timeout.Infinite, holding.Lost).WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning("Stopped consuming the real-time queue: this instance no longer holds the site lease");
                await handle.ReceiveEndpoint.Stop(stoppingToken);
            }
        }
    }
}
