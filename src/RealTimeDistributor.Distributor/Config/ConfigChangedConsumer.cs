using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.Config;

/// <summary>
/// updateaw's intake: hands each central configuration change to the ordered apply loop and returns (acks) once it is in
/// the replica and republished. A change that cannot apply throws, and goes to the error queue with its reason.
/// </summary>
public sealed class ConfigChangedConsumer(ConfigStream stream, RtdMetrics metrics, TimeProvider clock) : IConsumer<ConfigChanged>
{
    /// <summary>
    /// The site's config queue on the central bus (<see cref="Topology.Central.ConfigureDistributorConfigQueue"/>), its
    /// retry, and one consumer instance for every message: it holds nothing of its own, and a DI scope per message was a
    /// measurable share of the CPU a backlog drains with.
    /// </summary>
    public static void Configure(IRabbitMqBusFactoryConfigurator bus, IRegistrationContext context, DistributorSettings settings) =>
        bus.ReceiveEndpoint(Topology.Central.DistributorConfigQueue(settings.Site), e =>
        {
            Topology.Central.ConfigureDistributorConfigQueue(e);
            PoisonMessageException.RetryOthers(e);
            e.Instance(ActivatorUtilities.CreateInstance<ConfigChangedConsumer>(context));
        });

    public async Task Consume(ConsumeContext<ConfigChanged> context)
    {
        try
        {
            await stream.SubmitAsync(context.Message, context.CancellationToken);
            metrics.ConfigAcked(clock.GetUtcNow() - context.Message.CommittedAt);
        }
        catch (PoisonMessageException poison) when (poison.Sequence > 0)
        {
            stream.RequestResync($"change {poison.Sequence} cannot apply: {poison.Message}");
            throw;
        }
    }
}
