using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// rtdist's intake: hands each real-time batch to <see cref="RealTimeIntake"/>, which applies whatever is waiting with
/// one bulk upsert and republishes the rows it wrote. A batch that cannot apply throws, and goes to the error queue with
/// its reason.
/// </summary>
public sealed class RealTimeRowsConsumer(RealTimeIntake intake) : IConsumer<RealTimeRowsPublished>
{
    /// <summary>
    /// The site's real-time queue on the central bus (<see cref="Topology.Central.ConfigureDistributorRealTimeQueue"/>),
    /// its retry, and one consumer instance for every message (no DI scope per message).
    /// </summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator bus, IRegistrationContext context, DistributorSettings settings) =>
        bus.ReceiveEndpoint(Topology.Central.DistributorRealTimeQueue(settings.Site), e =>
        {
            Topology.Central.ConfigureDistributorRealTimeQueue(e);
            e.BindWithoutDeclaring(context, Topology.Central.DistributorRealTimeQueue(settings.Site), Topology.Central.DistributorRealTimeBindings);
            PoisonMessageException.RetryOthers(e);
            e.Instance(ActivatorUtilities.CreateInstance<RealTimeRowsConsumer>(context));
        });

    public Task Consume(ConsumeContext<RealTimeRowsPublished> context) => intake.SubmitAsync(context.Message, context.CancellationToken);
}
