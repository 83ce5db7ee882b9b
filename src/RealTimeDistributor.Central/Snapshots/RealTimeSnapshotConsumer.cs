using System.Diagnostics;
using MassTransit;
using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Central.Snapshots;

/// <summary>
/// Answers a real-time snapshot request from the statistics engine's memory: one copy of every row taken under the
/// engine's lock (<see cref="StatisticsEngine.Current"/>, consistent with one interval, whose time in UTC ticks is the
/// watermark), sent to the requester's reply queue (<see cref="SnapshotSender"/>) in chunks of at most
/// <see cref="Topology.Central.RealTimeSnapshotChunkRows"/> rows and <see cref="Topology.Central.RealTimeSnapshotChunkMaxBytes"/>
/// bytes of JSON (only to a <see cref="Topology.Central.SnapshotReplyQueue"/> of the requesting site). Only the active
/// center, whose engine is live, consumes the queue (<see cref="RealTimeSnapshotEndpoint"/>).
/// </summary>
public sealed class RealTimeSnapshotConsumer(StatisticsEngine engine, SnapshotSender sender, TimeProvider clock,
    ILogger<RealTimeSnapshotConsumer> logger)
    : IConsumer<RealTimeSnapshotRequested>
{
    /// <summary>
    /// The central real-time snapshot queue (quorum; old requests expire: <see cref="Topology.Central.RealTimeSnapshotQueueArguments"/>),
    /// fed by <see cref="Topology.Central.RealTimeSnapshotRequestExchange"/>, and this consumer on it, one request at a time.
    /// </summary>
    public static void Configure(IRabbitMqReceiveEndpointConfigurator e, IRegistrationContext context)
    {
        e.SetQuorumQueue();
        e.UseTopologyQueue(Topology.Central.RealTimeSnapshotQueueArguments);
        e.PrefetchCount = 2;
        e.ConcurrentMessageLimit = 1;
        e.BindWithoutDeclaring(context, Topology.Central.RealTimeSnapshotQueue, Topology.Central.RealTimeSnapshotBindings);
        e.ConfigureConsumer<RealTimeSnapshotConsumer>(context);
    }

    public async Task Consume(ConsumeContext<RealTimeSnapshotRequested> context)
    {
        var request = context.Message;
        if (sender.Refuses(request.Site, request.ReplyTo, request.SnapshotId, SnapshotSender.SenderOf(context)))
        {
            return;
        }
        var started = Stopwatch.StartNew();
        var takenAt = clock.GetUtcNow();
        var (intervalAt, tables) = engine.Current();
        var chunks = sender.Open<RealTimeSnapshotRow>(request.ReplyTo, request.Site, request.SnapshotId, Watermark(intervalAt), takenAt,
            Topology.Central.RealTimeSnapshotChunkRows, Topology.Central.RealTimeSnapshotChunkMaxBytes);
        foreach (var table in tables.Where(t => request.Tables is not { Count: > 0 } names || names.Contains(t.Table)))
        {
            foreach (var row in table.Rows)
            {
                await chunks.AddAsync(new RealTimeSnapshotRow(table.Table, row), context.CancellationToken);
            }
        }
        await chunks.FinishAsync(context.CancellationToken);
        logger.LogInformation(
            "Served real-time snapshot {SnapshotId} of the interval at {IntervalAt} to {RequestingSite}: {Rows} rows in {Chunks} chunks, {ElapsedMs} ms",
            request.SnapshotId, intervalAt, request.Site, chunks.TotalRows, chunks.Chunks, started.ElapsedMilliseconds);
    }

    /// <summary>The watermark of a real-time snapshot: the engine interval it is consistent with, in UTC ticks; 0 before the first.</summary>
    public static long Watermark(DateTimeOffset? intervalAt) => intervalAt?.UtcTicks ?? 0;
}

/// <summary>
/// Connects the real-time snapshot queue's consumer only while this center holds the central lease: a standby's engine is
/// not live (empty, or as it was when it last held the lease), so it answers no real-time snapshot. Configuration
/// snapshots, read from the database in one transaction, are served by every instance.
/// </summary>
internal sealed class RealTimeSnapshotEndpoint(IReceiveEndpointConnector connector, CentralLease lease, IServiceProvider services,
    IHostApplicationLifetime lifetime, ILogger<RealTimeSnapshotEndpoint> logger)
    : LeaseGatedEndpoint<CentralTerm>(connector, Topology.Central.RealTimeSnapshotQueue, lifetime)
{
    protected override Task<CentralTerm> WaitForLeaseAsync(CancellationToken cancellationToken) => lease.WaitAsync(cancellationToken);

    protected override CancellationToken LostOf(CentralTerm holding) => holding.Lost;

    protected override void Configure(IRabbitMqReceiveEndpointConfigurator endpoint) =>
        RealTimeSnapshotConsumer.Configure(endpoint, services.GetRequiredService<IBusRegistrationContext>());

    protected override void Detached() =>
        logger.LogWarning("Stopped serving real-time snapshots: this center no longer holds the central lease");
}
