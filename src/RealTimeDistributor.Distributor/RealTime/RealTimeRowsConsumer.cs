using MassTransit;
using MassTransit.Middleware;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// rtdist's intake: hands each real-time batch to <see cref="RealTimeIntake"/>, which applies whatever is waiting with
/// one bulk upsert and republishes the rows it wrote. A batch that cannot apply (or whose content type is not
/// application/json) throws, and goes to the error queue with its reason. A batch caught in flight when this process loses the site lease cannot commit here: it is handed back to
/// the queue (nacked with requeue, counted as <c>realTimeBatchesHandedBack</c>), so the new holder applies it; the
/// version rule skips what it already holds newer. A batch of a lower central epoch than the highest seen (a former
/// active center's, <see cref="CentralEpochFence"/>) is acked and ignored: its rows carry new versions but old counts.
/// </summary>
public sealed class RealTimeRowsConsumer(RealTimeIntake intake, DistributorStats stats, CentralEpochFence fence, ILogger<RealTimeRowsConsumer> logger)
    : IConsumer<RealTimeRowsPublished>
{
    /// <summary>
    /// The site's real-time queue on the central bus (<see cref="Topology.Central.DistributorRealTimeQueueArguments"/>: bounded,
    /// oldest dropped first; quorum unless <see cref="DistributorSettings.QuorumRealTimeQueue"/> is false, the classic baseline
    /// of the `realtime` benchmark), single active consumer shared by the site's A/B distributors, its retry, and one
    /// consumer instance for every message (no DI scope per message).
    /// </summary>
    public static void Configure(IRabbitMqReceiveEndpointConfigurator endpoint, IServiceProvider services, DistributorSettings settings)
    {
        if (settings.QuorumRealTimeQueue)
        {
            endpoint.SetQuorumQueue();
        }
        endpoint.UseTopologyQueue(Topology.Central.DistributorRealTimeQueueArguments);
        endpoint.SingleActiveConsumer = true;
        // many messages wait at once so the distributor can apply them together (RealTimeIntake); rows carry versions,
        // so the order they apply in does not matter
        endpoint.PrefetchCount = Topology.Central.DistributorRealTimeInFlight;
        endpoint.ConcurrentMessageLimit = Topology.Central.DistributorRealTimeInFlight;
        endpoint.BindWithoutDeclaring(services, Topology.Central.DistributorRealTimeQueue(settings.Site), Topology.Central.DistributorRealTimeBindings);
        PoisonMessageException.RetryOthers(endpoint);
        endpoint.ConfigureError(error =>
        {
            error.UseFilter(new HandBackFilter());
            error.UseFilter(new GenerateFaultFilter()); // then what MassTransit does by default: the _error queue, with the reason
            error.UseFilter(new ErrorTransportFilter());
        });
        endpoint.Instance(ActivatorUtilities.CreateInstance<RealTimeRowsConsumer>(services));
    }

    public async Task Consume(ConsumeContext<RealTimeRowsPublished> context)
    {
        // MassTransit reads any content type as JSON (the raw serializer is the default); the wire format says application/json
        PoisonMessageException.RequireJson(context.ReceiveContext.ContentType?.ToString());
        if (!fence.Admit(context.Message.CentralEpoch, $"a real-time batch of {context.Message.Table}"))
        {
            return;
        }
        try
        {
            await intake.SubmitAsync(context.Message, context.CancellationToken);
        }
        catch (NotLeaseHolderException notHolder)
        {
            stats.HandedBack();
            logger.LogWarning("Handing a real-time batch of {Table} ({Rows} rows) back to the queue for the lease holder: {Reason}", context.Message.Table,
                context.Message.Rows?.Count ?? 0, notHolder.Message);
            throw;
        }
    }

    /// <summary>
    /// First filter of the endpoint's error pipe: a batch that failed because this process does not hold the site lease
    /// is not parked but rethrown, which makes MassTransit nack it with requeue; the queue (single active consumer) gives
    /// it to the holder once this process's endpoint has stopped.
    /// </summary>
    private sealed class HandBackFilter : IFilter<ExceptionReceiveContext>
    {
        public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next) =>
            context.Exception.GetBaseException() is NotLeaseHolderException || context.Exception is NotLeaseHolderException
                ? Task.FromException(context.Exception)
                : next.Send(context);

        public void Probe(ProbeContext context) => context.CreateFilterScope("handBackToTheLeaseHolder");
    }
}

/// <summary>
/// Attaches the real-time queue's consumer only while this process holds the site lease (<see cref="SiteLease"/>): it
/// connects the receive endpoint when the lease is first taken, stops it when the lease is lost (single active consumer
/// then passes the queue to the holder) and starts it again when the lease comes back.
/// </summary>
internal sealed class RealTimeEndpoint(IReceiveEndpointConnector connector, SiteLease lease, DistributorSettings settings, IServiceProvider services,
    IHostApplicationLifetime lifetime, ILogger<RealTimeEndpoint> logger)
    : LeaseGatedEndpoint<SiteLease.Holding>(connector, Topology.Central.DistributorRealTimeQueue(settings.Site), lifetime)
{
    protected override Task<SiteLease.Holding> WaitForLeaseAsync(CancellationToken cancellationToken) => lease.WaitAsync(cancellationToken);

    protected override CancellationToken LostOf(SiteLease.Holding holding) => holding.Lost;

    protected override void Configure(IRabbitMqReceiveEndpointConfigurator endpoint) => RealTimeRowsConsumer.Configure(endpoint, services, settings);

    protected override void Attached(SiteLease.Holding holding) =>
        logger.LogInformation("Consuming the real-time queue at epoch {Epoch}", holding.Grant.Epoch);

    protected override void Detached() =>
        logger.LogWarning("Stopped consuming the real-time queue: this instance no longer holds the site lease");
}
