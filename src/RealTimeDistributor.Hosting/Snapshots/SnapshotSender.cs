using Microsoft.Extensions.Logging;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Hosting.Snapshots;

/// <summary>
/// Sends snapshots, for the central controller (configuration and real-time, on the central vhost) and for a site's
/// distributor (the site's state, on the site vhost): <see cref="Open{TRow}"/> gives a <see cref="SnapshotWriter{TRow}"/>
/// that cuts the rows into chunks, and each chunk goes to the requester's reply queue through the default exchange
/// (routing key = the queue name) with <see cref="ConfirmingPublisher"/>: plain System.Text.Json bytes, in order, each
/// confirmed before the next. Nothing is declared: a reply queue that is gone means its requester is gone too.
/// The default exchange reaches every queue of the vhost, so a request is answered only when <paramref name="replyRule"/>
/// (site, reply-to) allows its reply queue: a name Topology reserves for snapshot replies of that site on this vhost.
/// </summary>
public sealed class SnapshotSender(RabbitMqSettings broker, string virtualHost, string clientName, Func<string, string?, bool> replyRule,
    ILogger<SnapshotSender> logger) : IAsyncDisposable
{
    private readonly ConfirmingPublisher _publisher = new(broker, virtualHost, clientName, [], logger);
    private long _requestsRefused;

    /// <summary>Requests refused since the start (<see cref="Refuses"/>): GET /stats <c>snapshotRequestsRefused</c>.</summary>
    public long RequestsRefused => Interlocked.Read(ref _requestsRefused);

    /// <summary>
    /// True (counted in <see cref="RequestsRefused"/>, logged as information: the requester's fault, not this host's) when a
    /// request of <paramref name="site"/> names a reply queue this sender does not answer.
    /// </summary>
    public bool Refuses(string site, string? replyTo, Guid snapshotId)
    {
        if (replyRule(site, replyTo))
        {
            return false;
        }
        Interlocked.Increment(ref _requestsRefused);
        logger.LogInformation("Ignored snapshot request {SnapshotId} from {RequestingSite}: {ReplyTo} is not a snapshot reply queue of that site on {VirtualHost}",
            snapshotId, site, replyTo, virtualHost);
        return true;
    }

    /// <summary>Puts <see cref="RequestsRefused"/> on the host's meter.</summary>
    public void ReportTo(RtdMetrics metrics) =>
        metrics.ObserveCounter("rtd.snapshot.requests_refused", "{request}", "snapshot requests refused: the reply-to is not a snapshot reply queue of the site",
            () => RequestsRefused);

    public SnapshotWriter<TRow> Open<TRow>(string replyTo, string site, Guid snapshotId, long watermark, DateTimeOffset takenAt, int maxRows,
        int maxBytes = int.MaxValue, long epoch = 0, Guid streamId = default) =>
        new(site, snapshotId, watermark, takenAt, maxRows, maxBytes, (chunk, ct) =>
            _publisher.PublishAsync([new OutgoingMessage("", replyTo, Json.Serialize(chunk with { Epoch = epoch, StreamId = streamId }), $"{chunk.Site}-snapshot-{chunk.SnapshotId:N}-{chunk.Index}")], ct));

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}

/// <summary>
/// Cuts a snapshot's rows, as they are read, into chunks of at most <c>maxRows</c> rows and at most <c>maxBytes</c> bytes
/// of JSON (rows differ in size: a row bound alone is no size bound), numbers them from 0 with the running row count and
/// hands each one to <c>send</c> once it is full. <see cref="FinishAsync"/> sends the rest as the chunk marked last (empty
/// only when the whole snapshot is).
/// </summary>
public sealed class SnapshotWriter<TRow>(string site, Guid snapshotId, long watermark, DateTimeOffset takenAt, int maxRows, int maxBytes,
    Func<SnapshotChunk<TRow>, CancellationToken, Task> send)
{
    /// <summary>JSON of a chunk without its rows, at most (ids, times, counts, field names).</summary>
    public const int ChunkOverhead = 1024;

    private List<TRow> _rows = [];
    private long _bytes = ChunkOverhead;

    public long TotalRows { get; private set; }

    public int Chunks { get; private set; }

    public async Task AddAsync(TRow row, CancellationToken cancellationToken)
    {
        // measured as the wire will carry it (escaping included), plus its comma; only when there is a byte bound
        var size = maxBytes == int.MaxValue ? 0 : 1 + Json.Serialize(row).Length;
        if (_rows.Count > 0 && (_rows.Count == maxRows || _bytes + size > maxBytes))
        {
            await SendAsync(last: false, cancellationToken);
        }
        _rows.Add(row);
        _bytes += size;
        TotalRows++;
    }

    public Task FinishAsync(CancellationToken cancellationToken) => SendAsync(last: true, cancellationToken);

    private async Task SendAsync(bool last, CancellationToken cancellationToken)
    {
        await send(new SnapshotChunk<TRow>(site, snapshotId, Chunks, last, TotalRows, watermark, takenAt, _rows), cancellationToken);
        Chunks++;
        (_rows, _bytes) = ([], ChunkOverhead);
    }
}
