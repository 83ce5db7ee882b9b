using System.Threading.Channels;
using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Requests a configuration snapshot from the central controller over a bus on the central vhost: sends a
/// <see cref="ConfigSnapshotRequested"/> to <see cref="Topology.Central.ConfigSnapshotRequestExchange"/> with the bus's own
/// endpoint as the response address, and gathers the <see cref="ConfigSnapshotChunk"/>s that come back there. The bus
/// endpoint hands them over concurrently, so in any order: they are joined by index, checked complete (every index up
/// to the last, one watermark, the row count the last one states) and returned in index order. No chunk for
/// <c>idleTimeout</c> fails with a <see cref="TimeoutException"/>.
/// </summary>
public sealed class ConfigSnapshotClient(IBus bus)
{
    public async Task<IReadOnlyList<ConfigSnapshotChunk>> RequestAsync(string site, string reason, TimeSpan idleTimeout,
        CancellationToken cancellationToken)
    {
        var snapshotId = NewId.NextGuid();
        var chunks = Channel.CreateUnbounded<ConfigSnapshotChunk>();
        var handle = bus.ConnectHandler<ConfigSnapshotChunk>(context =>
        {
            if (context.Message.SnapshotId == snapshotId)
            {
                chunks.Writer.TryWrite(context.Message);
            }
            return Task.CompletedTask;
        });
        try
        {
            var requests = await bus.GetSendEndpoint(new Uri($"exchange:{Topology.Central.ConfigSnapshotRequestExchange}"));
            await requests.Send(new ConfigSnapshotRequested(site, reason, snapshotId), context => context.ResponseAddress = bus.Address,
                cancellationToken);
            return await CollectAsync(snapshotId, chunks.Reader, idleTimeout, cancellationToken);
        }
        finally
        {
            handle.Disconnect();
        }
    }

    private static async Task<IReadOnlyList<ConfigSnapshotChunk>> CollectAsync(Guid snapshotId, ChannelReader<ConfigSnapshotChunk> chunks,
        TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var received = new SortedDictionary<int, ConfigSnapshotChunk>();
        ConfigSnapshotChunk? last = null;
        while (last is null || received.Count <= last.Index)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(idleTimeout);
            ConfigSnapshotChunk chunk;
            try
            {
                chunk = await chunks.ReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Configuration snapshot {snapshotId}: no chunk from the central controller for {idleTimeout} (had {received.Count}).");
            }
            if (!received.TryAdd(chunk.Index, chunk) || (last is not null && chunk.Index > last.Index) || (chunk.Last && received.Keys.Max() > chunk.Index))
            {
                throw new InvalidDataException($"Configuration snapshot {snapshotId}: chunk {chunk.Index} came twice or after the last one.");
            }
            last = chunk.Last ? chunk : last;
        }
        var rows = received.Values.Sum(c => c.Tables.Sum(t => (long)t.Rows.Count));
        if (rows != last.TotalRows || received.Values.Any(c => c.Watermark != last.Watermark))
        {
            throw new InvalidDataException($"Configuration snapshot {snapshotId}: {rows} rows came, {last.TotalRows} were sent.");
        }
        return [.. received.Values];
    }
}
