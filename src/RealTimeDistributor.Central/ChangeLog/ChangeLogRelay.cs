using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>
/// Publishes the change log in sequence order to the central configuration exchange, pipelined with publisher confirms,
/// and records how far it got only after the broker confirmed. After a crash or a broker outage it resumes from
/// there: nothing is lost; a batch may be published twice, which the distributors skip by sequence.
/// </summary>
public sealed class ChangeLogRelay(IServiceScopeFactory scopes, ChangeLogSignal signal, CentralStats stats, RabbitMqSettings broker,
    ILogger<ChangeLogRelay> logger) : BackgroundService
{
    public const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var publisher = new ConfirmingPublisher(broker, broker.CentralVirtualHost, "rtd central change-log relay",
            [Topology.Central.ConfigExchange], logger);
        await Resilience.RepeatUntilStoppedAsync(async ct =>
        {
            if (await PublishNextBatchAsync(publisher, ct) < BatchSize)
            {
                await signal.WaitAsync(TimeSpan.FromSeconds(1), ct);
            }
        }, logger, "The change log relay", stoppingToken);
    }

    private async Task<int> PublishNextBatchAsync(ConfirmingPublisher publisher, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CentralDbContext>();
        var state = await db.RelayState.SingleAsync(cancellationToken);
        var entries = await db.ChangeLog.AsNoTracking()
            .Where(e => e.Sequence > state.PublishedThrough)
            .OrderBy(e => e.Sequence)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        stats.RelayAt(entries.Count == 0 ? state.PublishedThrough : entries[^1].Sequence, state.PublishedThrough);
        if (entries.Count == 0)
        {
            return 0;
        }
        // a traced edit's relay hop: one span per change whose row carries a trace context, until the broker confirmed it
        var spans = entries.Select(e => RtdTracing.StartHop(RtdTracing.Hops.Relay, ActivityKind.Producer, e.TraceParent, e.Sequence)).ToList();
        try
        {
            var messages = entries.Select((e, i) => ToMessage(e, RtdTracing.TraceParent(spans[i]))).ToList();
            await publisher.PublishAsync(messages, cancellationToken);
        }
        finally
        {
            spans.ForEach(s => s?.Dispose());
        }
        state.PublishedThrough = entries[^1].Sequence;
        await db.SaveChangesAsync(cancellationToken);
        stats.Published(entries.Count);
        stats.RelayAt(entries[^1].Sequence, state.PublishedThrough);
        logger.LogDebug("Published config changes through {Sequence}", state.PublishedThrough);
        return entries.Count;
    }

    public static ConfigChanged ToContract(ConfigChangeLogEntry entry) => new(
        entry.Sequence,
        entry.Sequence - 1,
        entry.Table,
        entry.Operation,
        entry.Key,
        entry.RowJson is null ? null : JsonDocument.Parse(entry.RowJson).RootElement,
        entry.CommittedAt);

    private static OutgoingMessage ToMessage(ConfigChangeLogEntry entry, string? traceParent) => new(
        Topology.Central.ConfigExchange,
        Topology.Central.ConfigRoutingKey(entry.Table, entry.Operation),
        Json.Serialize(ToContract(entry)),
        $"config-{entry.Sequence}",
        traceParent);
}
