using System.Diagnostics;
using System.Threading.Channels;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Client.Snapshots;

/// <summary>
/// Loads the view from a site snapshot: at start (asked by <see cref="Stream.SiteUpdateConsumer"/> once it has bound the
/// client's queue, so nothing published after the snapshot can be missed) and again whenever the view finds a gap. It sends a
/// <see cref="SiteSnapshotRequested"/> to the distributors' snapshot requests exchange, gathers the chunks that come back
/// on the client's snapshot queue (<see cref="SnapshotRequester"/>), and hands the whole snapshot to
/// <see cref="ClientView.Load"/>. A request that sees no chunk for Client:SnapshotTimeout is sent again (the distributor
/// may be down, or its standby taking over). Loads start at most one every Client:SnapshotMinInterval (2 s by default),
/// however many resets, gaps or epochs ask for one: what the stream brings meanwhile is buffered (bounded) and the requests
/// made meanwhile become one load, so no message, forged or not, can make a client reload faster than that.
/// </summary>
public sealed class SnapshotLoader(ClientView view, ClientSettings settings, RabbitMqSettings broker, ILogger<SnapshotLoader> logger)
    : BackgroundService
{
    private readonly Channel<bool> _reload = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Asks for a fresh snapshot (the view is already buffering); repeated calls before it starts count once.</summary>
    public void RequestReload() => _reload.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        long? lastStart = null;
        await foreach (var _ in _reload.Reader.ReadAllAsync(stoppingToken))
        {
            var wait = WaitBeforeLoad(lastStart is { } last ? Stopwatch.GetElapsedTime(last) : null, settings.SnapshotMinInterval);
            if (wait > TimeSpan.Zero)
            {
                logger.LogInformation("Loading the next snapshot in {Wait}: one every {Interval} at most (Client:SnapshotMinInterval)", wait, settings.SnapshotMinInterval);
                await Task.Delay(wait, stoppingToken);
            }
            lastStart = Stopwatch.GetTimestamp();
            view.BeginLoad();
            while (!await LoadOnceAsync(stoppingToken))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), stoppingToken);
            }
        }
    }

    /// <summary>How long to wait before the next snapshot load, <paramref name="sinceLastStart"/> after the last one started (null: none yet).</summary>
    public static TimeSpan WaitBeforeLoad(TimeSpan? sinceLastStart, TimeSpan minInterval) =>
        sinceLastStart is { } since && since < minInterval ? minInterval - since : TimeSpan.Zero;

    private async Task<bool> LoadOnceAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        var (snapshotId, replyTo) = (Guid.NewGuid(), Topology.Site.ClientSnapshotQueue(settings.Site, settings.Workstation));
        Snapshot<SiteSnapshotRow> snapshot;
        try
        {
            snapshot = await SnapshotRequester.RequestAsync<SiteSnapshotRequested, SiteSnapshotRow>(broker, Topology.Site.SnapshotRequests(settings.Site),
                $"rtd {settings.Site} client {settings.Workstation} snapshot", replyTo, snapshotId,
                new SiteSnapshotRequested(settings.Site, settings.Workstation, snapshotId, replyTo, settings.Bindings, DateTimeOffset.UtcNow),
                settings.SnapshotTimeout, logger, cancellationToken);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("No answer to snapshot request {SnapshotId} within {Timeout}: asking again", snapshotId, settings.SnapshotTimeout);
            return false;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning("Could not load snapshot {SnapshotId}: {Problem}", snapshotId, exception.Message);
            return false;
        }

        var sequence = snapshot.Watermark;
        var rows = snapshot.Rows.Select(r => ClientView.FromSnapshot(r, sequence)).ToList();
        var outcome = view.Load(sequence, rows, snapshot.Epoch, snapshot.StreamId);
        logger.LogInformation(
            "Loaded snapshot {SnapshotId} at site sequence {Sequence}, epoch {Epoch}: {Rows} rows in {Chunks} chunks, {ElapsedMs} ms; {Buffered} stream updates buffered so far",
            snapshotId, sequence, snapshot.Epoch, rows.Count, snapshot.Chunks.Count, started.ElapsedMilliseconds, view.Buffered);
        if (outcome == ApplyOutcome.Gap)
        {
            logger.LogWarning("The stream lost updates while snapshot {SnapshotId} loaded: loading another", snapshotId);
            RequestReload();
        }
        return true;
    }
}
