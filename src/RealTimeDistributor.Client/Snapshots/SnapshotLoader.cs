using System.Diagnostics;
using System.Threading.Channels;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Client.Snapshots;

/// <summary>
/// Loads the view from a site snapshot: at start (after the bus has bound the client's queue, so nothing published
/// after the snapshot can be missed) and again whenever the view finds a gap. It sends a
/// <see cref="SiteSnapshotRequested"/> to the distributors' snapshot queue, gathers the chunks that come back on the
/// client's snapshot queue, and hands the whole snapshot to <see cref="ClientView.Load"/>. A request that sees no chunk
/// for Client:SnapshotTimeout is sent again (the distributor may be down, or its standby taking over).
/// </summary>
public sealed class SnapshotLoader(ClientView view, ClientSettings settings, RabbitMqSettings broker, ILogger<SnapshotLoader> logger)
    : BackgroundService
{
    private readonly Channel<bool> _reload = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private Pending? _pending;

    /// <summary>Asks for a fresh snapshot (the view is already buffering); repeated calls before it starts count once.</summary>
    public void RequestReload() => _reload.Writer.TryWrite(true);

    /// <summary>Takes one chunk from the client's snapshot queue; chunks of an older request are ignored.</summary>
    public void Accept(SiteSnapshotChunk chunk)
    {
        lock (_gate)
        {
            if (_pending is { } pending && pending.Id == chunk.SnapshotId)
            {
                pending.Add(chunk);
            }
            else
            {
                logger.LogDebug("Ignored chunk {Index} of snapshot {SnapshotId}: not the one being loaded", chunk.Index, chunk.SnapshotId);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await using var requests = new ConfirmingPublisher(broker, Topology.Site.VirtualHost(settings.Site),
            $"rtd {settings.Site} client {settings.Workstation} snapshot requests", [Topology.Site.SnapshotRequestExchange(settings.Site)], logger);
        RequestReload();
        await foreach (var _ in _reload.Reader.ReadAllAsync(stoppingToken))
        {
            view.BeginLoad();
            while (!await LoadOnceAsync(requests, stoppingToken))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
            }
        }
    }

    private async Task<bool> LoadOnceAsync(ConfirmingPublisher requests, CancellationToken cancellationToken)
    {
        var pending = new Pending(Guid.NewGuid());
        lock (_gate)
        {
            _pending = pending;
        }
        var started = Stopwatch.StartNew();
        var request = new SiteSnapshotRequested(settings.Site, settings.Workstation, pending.Id,
            Topology.Site.ClientSnapshotQueue(settings.Site, settings.Workstation), settings.Bindings, DateTimeOffset.UtcNow);
        try
        {
            await requests.PublishAsync([new OutgoingMessage(Topology.Site.SnapshotRequestExchange(settings.Site), "snapshot", Json.Serialize(request), $"snapshot-{pending.Id:N}")],
                cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning("Could not request a snapshot: {Problem}", exception.Message);
            return false;
        }

        while (true)
        {
            var progress = pending.Progress;
            try
            {
                await pending.Completed.WaitAsync(settings.SnapshotTimeout, cancellationToken);
                break;
            }
            catch (TimeoutException) when (pending.Progress == progress)
            {
                logger.LogWarning("No answer to snapshot request {SnapshotId} within {Timeout}: asking again", pending.Id, settings.SnapshotTimeout);
                return false;
            }
            catch (TimeoutException)
            {
                // chunks are still arriving
            }
        }

        var chunks = pending.Completed.Result;
        var sequence = chunks[0].SiteSequence;
        var rows = chunks.SelectMany(c => c.Rows).Select(r => ClientView.FromSnapshot(r, sequence)).ToList();
        var outcome = view.Load(sequence, rows);
        logger.LogInformation(
            "Loaded snapshot {SnapshotId} at site sequence {Sequence}: {Rows} rows in {Chunks} chunks, {ElapsedMs} ms; {Buffered} stream updates buffered so far",
            pending.Id, sequence, rows.Count, chunks.Count, started.ElapsedMilliseconds, view.Buffered);
        if (outcome == ApplyOutcome.Gap)
        {
            logger.LogWarning("The stream lost updates while snapshot {SnapshotId} loaded: loading another", pending.Id);
            RequestReload();
        }
        return true;
    }

    /// <summary>The chunks of one request, by index; complete when the last one and all before it are in.</summary>
    private sealed class Pending(Guid id)
    {
        private readonly SortedDictionary<int, SiteSnapshotChunk> _chunks = [];
        private readonly TaskCompletionSource<IReadOnlyList<SiteSnapshotChunk>> _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int? _count;
        private int _progress;

        public Guid Id => id;

        public int Progress => Volatile.Read(ref _progress);

        public Task<IReadOnlyList<SiteSnapshotChunk>> Completed => _completed.Task;

        public void Add(SiteSnapshotChunk chunk)
        {
            Interlocked.Increment(ref _progress);
            _chunks[chunk.Index] = chunk;
            if (chunk.Last)
            {
                _count = chunk.Index + 1;
            }
            if (_count == _chunks.Count)
            {
                _completed.TrySetResult([.. _chunks.Values]);
            }
        }
    }
}
