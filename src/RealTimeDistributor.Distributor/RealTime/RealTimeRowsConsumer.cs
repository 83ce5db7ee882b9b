using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// rtdist's intake: hands each real-time batch to <see cref="RealTimeIntake"/>, which applies whatever is waiting with
/// one bulk upsert and republishes the rows it wrote. A batch that cannot apply throws, and goes to the error queue with
/// its reason.
/// </summary>
public sealed class RealTimeRowsConsumer(RealTimeIntake intake) : IConsumer<RealTimeRowsPublished>
{
    public Task Consume(ConsumeContext<RealTimeRowsPublished> context) => intake.SubmitAsync(context.Message, context.CancellationToken);
}
