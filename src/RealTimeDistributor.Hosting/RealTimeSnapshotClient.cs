using MassTransit;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Hosting;

/// <summary>A central real-time snapshot, reassembled: its chunks in index order, and the size of each on the wire.</summary>
public sealed record RealTimeSnapshot(Guid SnapshotId, DateTimeOffset? IntervalAt, IReadOnlyList<RealTimeSnapshotChunk> Chunks, IReadOnlyList<long> ChunkBytes)
{
    public IEnumerable<(string Table, RealTimeRow Row)> Rows => Chunks.SelectMany(c => c.Rows.Select(r => (c.Table, r)));
}

/// <summary>
/// Requests a real-time snapshot from the central controller over a bus on the central vhost: sends a
/// <see cref="RealTimeSnapshotRequested"/> to <see cref="Topology.Central.RealTimeSnapshotRequestExchange"/> with the bus's
/// own (temporary) endpoint as the response address, and gathers the <see cref="RealTimeSnapshotChunk"/>s that come back
/// there. A request that sees no chunk for <c>idleTimeout</c> fails with a <see cref="TimeoutException"/>.
/// </summary>
public sealed class RealTimeSnapshotClient(IBus bus)
{
    public async Task<RealTimeSnapshot> RequestAsync(string site, IReadOnlyList<string> tables, TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        var pending = new Pending(NewId.NextGuid());
        // raw JSON carries no message type: any reply on the bus endpoint reads as a chunk, so only this snapshot's chunks count
        var handle = bus.ConnectHandler<RealTimeSnapshotChunk>(context =>
        {
            if (context.Message.SnapshotId == pending.Id)
            {
                pending.Add(context.Message, context.ReceiveContext.Body.Length ?? 0);
            }
            return Task.CompletedTask;
        });
        try
        {
            var endpoint = await bus.GetSendEndpoint(new Uri($"exchange:{Topology.Central.RealTimeSnapshotRequestExchange}"));
            await endpoint.Send(new RealTimeSnapshotRequested(site, pending.Id, tables, DateTimeOffset.UtcNow), context =>
            {
                context.RequestId = pending.Id;
                context.ResponseAddress = bus.Address;
            }, cancellationToken);
            while (true)
            {
                var progress = pending.Progress;
                try
                {
                    return await pending.Completed.WaitAsync(idleTimeout, cancellationToken);
                }
                catch (TimeoutException) when (pending.Progress != progress)
                {
                    // chunks are still arriving
                }
            }
        }
        finally
        {
            handle.Disconnect();
        }
    }

    /// <summary>The chunks of one snapshot, by index; complete when all <see cref="RealTimeSnapshotChunk.Count"/> are in.</summary>
    private sealed class Pending(Guid id)
    {
        private readonly Lock _gate = new();
        private readonly SortedDictionary<int, (RealTimeSnapshotChunk Chunk, long Bytes)> _chunks = [];
        private readonly TaskCompletionSource<RealTimeSnapshot> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _progress;

        public Guid Id => id;

        public int Progress => Volatile.Read(ref _progress);

        public Task<RealTimeSnapshot> Completed => _completed.Task;

        public void Add(RealTimeSnapshotChunk chunk, long bytes)
        {
            lock (_gate)
            {
                Interlocked.Increment(ref _progress);
                _chunks[chunk.Index] = (chunk, bytes);
                if (_chunks.Count == chunk.Count)
                {
                    _completed.TrySetResult(new RealTimeSnapshot(id, chunk.IntervalAt, [.. _chunks.Values.Select(c => c.Chunk)], [.. _chunks.Values.Select(c => c.Bytes)]));
                }
            }
        }
    }
}
