using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>
/// Publishes the change log in sequence order to the central configuration exchange, pipelined with publisher confirms,
/// and records how far it got only after the broker confirmed. After a crash or a broker outage it resumes from
/// there: nothing is lost; a batch may be published twice, which the distributors skip by sequence. Runs only on the
/// active center (<see cref="CentralLease"/>): each batch is published only while the lease is valid, carries the
/// lease's epoch, and its position is recorded under the lease's fence (never backwards). A change committed by another
/// instance (a standby's admin API) is not signalled here: the relay finds it at its next poll, within a second.
/// </summary>
internal sealed class ChangeLogRelay(IServiceScopeFactory scopes, ChangeLogSignal signal, CentralStats stats, RabbitMqSettings broker, CentralLease lease,
    ILogger<ChangeLogRelay> logger) : BackgroundService
{
    public const int BatchSize = 500;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var publisher = new ConfirmingPublisher(broker, broker.CentralVirtualHost, "rtd central change-log relay",
            [Topology.Central.ConfigExchange], logger);
        await Resilience.RepeatUntilStoppedAsync(async ct =>
        {
            var term = await lease.WaitAsync(ct);
            if (await PublishNextBatchAsync(publisher, term, ct) < BatchSize)
            {
                await signal.WaitAsync(TimeSpan.FromSeconds(1), ct);
            }
        }, logger, "The change log relay", stoppingToken);
    }

    private async Task<int> PublishNextBatchAsync(ConfirmingPublisher publisher, CentralTerm term, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CentralDbContext>();
        var state = await db.RelayState.AsNoTracking().SingleAsync(cancellationToken);
        var entries = await db.ChangeLog.AsNoTracking()
            .Where(e => e.Sequence > state.PublishedThrough)
            .OrderBy(e => e.Sequence)
            .Take(BatchSize)
            .ToListAsync(cancellationToken);
        stats.RelayAt(entries.Count == 0 ? state.PublishedThrough : entries[^1].Sequence, state.PublishedThrough);
        if (entries.Count == 0 || !lease.Valid(term))
        {
            return 0;
        }
        // a traced edit's relay hop: one span per change whose row carries a trace context, until the broker confirmed it
        var spans = entries.Select(e => RtdTracing.StartHop(RtdTracing.Hops.Relay, ActivityKind.Producer, e.TraceParent, e.Sequence)).ToList();
        try
        {
            var messages = entries.Select((e, i) => ToMessage(e, term.Epoch, RtdTracing.TraceParent(spans[i]))).ToList();
            await publisher.PublishAsync(messages, cancellationToken);
        }
        finally
        {
            spans.ForEach(s => s?.Dispose());
        }
        var through = entries[^1].Sequence;
        await using (var connection = await lease.OpenAsync(cancellationToken))
        await using (var command = lease.Fenced(connection,
            $"UPDATE relay_state SET published_through = GREATEST(published_through, @through) WHERE id = 1 AND {CentralLease.FenceSql}", term))
        {
            command.Parameters.AddWithValue("through", through);
            if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
            {
                lease.Refused(term);
                return 0;
            }
        }
        stats.Published(entries.Count);
        stats.RelayAt(through, through);
        signal.Relayed();
        logger.LogDebug("Published config changes through {Sequence} at central epoch {Epoch}", through, term.Epoch);
        return entries.Count;
    }

    public static ConfigChanged ToContract(ConfigChangeLogEntry entry, long centralEpoch) => new(
        entry.Sequence,
        entry.Sequence - 1,
        entry.Table,
        entry.Operation,
        entry.Key,
        entry.RowJson is null ? null : JsonDocument.Parse(entry.RowJson).RootElement,
        entry.CommittedAt,
        centralEpoch);

    private static OutgoingMessage ToMessage(ConfigChangeLogEntry entry, long centralEpoch, string? traceParent) => new(
        Topology.Central.ConfigExchange,
        Topology.Central.ConfigRoutingKey(entry.Table, entry.Operation),
        Json.Serialize(ToContract(entry, centralEpoch)),
        $"config-{entry.Sequence}",
        traceParent);
}
