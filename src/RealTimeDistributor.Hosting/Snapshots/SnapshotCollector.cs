using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Hosting.Snapshots;

/// <summary>A whole snapshot, its chunks put together in index order.</summary>
public sealed record Snapshot<TRow>(Guid SnapshotId, long Watermark, DateTimeOffset TakenAt, IReadOnlyList<SnapshotChunk<TRow>> Chunks)
{
    public IEnumerable<TRow> Rows => Chunks.SelectMany(c => c.Rows);

    public long TotalRows => Chunks[^1].TotalRows;

    /// <summary>The site snapshot's fencing epoch (<see cref="SnapshotChunk{TRow}.Epoch"/>); 0 for central snapshots.</summary>
    public long Epoch => Chunks[^1].Epoch;

    public Guid StreamId => Chunks[^1].StreamId;
}

/// <summary>
/// Gathers the chunks of one snapshot, in whatever order they come (a broker consumer may hand them over concurrently),
/// by index. Complete when it holds chunks 0 to the index of the one marked last, all with one watermark, and every
/// chunk's TotalRows is the count of rows up to it (so the last one's is the whole). A chunk of another snapshot is not
/// taken; a chunk that comes again (a redelivery) counts once. A chunk that contradicts the others (a second last
/// chunk, one beyond the last, another watermark, counts that do not add up) fails the snapshot with an
/// <see cref="InvalidDataException"/>; <see cref="WaitAsync"/> fails with a <see cref="TimeoutException"/> when no
/// chunk has come for its idle timeout (a chunk lost, the sender gone).
/// </summary>
public sealed class SnapshotCollector<TRow>(Guid snapshotId)
{
    private readonly Lock _gate = new();
    private readonly SortedDictionary<int, SnapshotChunk<TRow>> _chunks = [];
    private readonly TaskCompletionSource<Snapshot<TRow>> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int? _last;
    private long? _watermark;
    private int _progress;

    public Guid SnapshotId => snapshotId;

    public Task<Snapshot<TRow>> Completed => _completed.Task;

    /// <summary>Takes a chunk; false when it belongs to another snapshot.</summary>
    public bool Add(SnapshotChunk<TRow> chunk)
    {
        if (chunk.SnapshotId != snapshotId)
        {
            return false;
        }
        lock (_gate)
        {
            Interlocked.Increment(ref _progress);
            if (_completed.Task.IsCompleted || !_chunks.TryAdd(chunk.Index, chunk))
            {
                return true;
            }
            _watermark ??= chunk.Watermark;
            var problem = chunk.Index < 0 ? "a negative index"
                : chunk.Watermark != _watermark ? $"watermark {chunk.Watermark}, not {_watermark}"
                : chunk.Last && _last is not null ? $"a second last chunk (the last was {_last})"
                : chunk.Index > (_last ?? int.MaxValue) ? $"it comes after the last one ({_last})"
                : chunk.Last && _chunks.Keys.Max() > chunk.Index ? $"marked last below chunk {_chunks.Keys.Max()}"
                : null;
            if (problem is not null)
            {
                _completed.TrySetException(new InvalidDataException($"Snapshot {snapshotId}: chunk {chunk.Index} is wrong: {problem}."));
                return true;
            }
            _last = chunk.Last ? chunk.Index : _last;
            if (_chunks.Count == _last + 1)
            {
                Complete();
            }
            return true;
        }
    }

    private void Complete()
    {
        long rows = 0;
        foreach (var chunk in _chunks.Values)
        {
            rows += chunk.Rows.Count;
            if (chunk.TotalRows != rows)
            {
                _completed.TrySetException(new InvalidDataException(
                    $"Snapshot {snapshotId}: chunk {chunk.Index} counts {chunk.TotalRows} rows up to it, {rows} came."));
                return;
            }
        }
        var last = _chunks[_chunks.Count - 1];
        _completed.TrySetResult(new Snapshot<TRow>(snapshotId, last.Watermark, last.TakenAt, [.. _chunks.Values]));
    }

    /// <summary>The whole snapshot; a <see cref="TimeoutException"/> when no chunk has come for <paramref name="idleTimeout"/>.</summary>
    public async Task<Snapshot<TRow>> WaitAsync(TimeSpan idleTimeout, CancellationToken cancellationToken)
    {
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            try
            {
                return await _completed.Task.WaitAsync(idleTimeout, cancellationToken);
            }
            catch (TimeoutException) when (Volatile.Read(ref _progress) == progress)
            {
                int held;
                lock (_gate)
                {
                    held = _chunks.Count;
                }
                throw new TimeoutException($"Snapshot {snapshotId}: no chunk for {idleTimeout} (holding {held}).");
            }
            catch (TimeoutException)
            {
                // chunks are still arriving
            }
        }
    }
}
