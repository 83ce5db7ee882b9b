using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using MassTransit;
using Microsoft.Extensions.Logging;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Hosting.Snapshots;

/// <summary>
/// Sends snapshots, for the central controller (configuration and real-time, on the central vhost) and for a site's
/// distributor (the site's state, on the site vhost): <c>Open</c> gives a <see cref="SnapshotWriter{TRow}"/>
/// that cuts the rows into chunks, and each chunk goes to the requester's reply queue (or, for requests answered by one
/// read, to each of theirs, its rows encoded once) through the default exchange (routing key = the queue name) with
/// <see cref="ConfirmingPublisher"/>: plain System.Text.Json bytes, in order, each confirmed before the next. Nothing is
/// declared: a reply queue that is gone means its requester is gone too.
/// The default exchange reaches every queue of the vhost, so a request is answered only when <paramref name="replyRule"/>
/// (site, reply-to) allows its reply queue (a name Topology reserves for snapshot replies of that site on this vhost) and
/// <paramref name="senderRule"/> (sender, site, reply-to) allows it to the user who published it: the AMQP user_id, which
/// the broker refuses unless it is the publisher's own login (<see cref="SnapshotRequester"/> sets it). A sender gets at
/// most <see cref="RequestBurst"/> requests at once per reply queue, then one each <see cref="RequestInterval"/>.
/// </summary>
public sealed class SnapshotSender(RabbitMqSettings broker, string virtualHost, string clientName, Func<string, string?, bool> replyRule,
    Func<string, string, string, bool> senderRule, ILogger<SnapshotSender> logger) : IAsyncDisposable
{
    /// <summary>Requests a sender may make at once for one reply queue (a client asks at most once per 2 s: Client:SnapshotMinInterval).</summary>
    public const int RequestBurst = 10;

    /// <summary>After a burst, one request per this interval per sender and reply queue.</summary>
    public static readonly TimeSpan RequestInterval = TimeSpan.FromSeconds(1);

    /// <summary>A sender's refusals are logged once per this interval (each is counted).</summary>
    private static readonly TimeSpan RefusalLogInterval = TimeSpan.FromMinutes(1);

    private readonly ConfirmingPublisher _publisher = new(broker, virtualHost, clientName, [], logger);
    private readonly PartitionedRateLimiter<(string Sender, string ReplyTo)> _rate = PartitionedRateLimiter.Create<(string Sender, string ReplyTo), (string, string)>(
        request => RateLimitPartition.GetTokenBucketLimiter(request, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = RequestBurst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = RequestInterval,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
    private readonly ConcurrentDictionary<string, long> _lastLogged = new(StringComparer.Ordinal);
    private long _requestsRefused;

    /// <summary>Requests refused since the start (<see cref="Refuses"/>): GET /stats <c>snapshotRequestsRefused</c>.</summary>
    public long RequestsRefused => Interlocked.Read(ref _requestsRefused);

    /// <summary>
    /// True (counted in <see cref="RequestsRefused"/>, logged as information at most once a minute per sender: the
    /// requester's fault, not this host's) when a request of <paramref name="site"/> from <paramref name="sender"/> (the
    /// message's user_id) carries no sender, names a reply queue this sender does not answer or one the sender may not
    /// have it sent to, or comes too often.
    /// </summary>
    public bool Refuses(string site, string? replyTo, Guid snapshotId, string? sender)
    {
        var problem = sender is not { Length: > 0 } ? "it carries no user_id (set it to the publishing user: the broker checks it)"
            : !replyRule(site, replyTo) ? $"{replyTo} is not a snapshot reply queue of that site on {virtualHost}"
            : !senderRule(sender, site, replyTo!) ? $"user {sender} may not have it sent to {replyTo}"
            : !Acquired(sender, replyTo!) ? $"user {sender} asks more than {RequestBurst} times at once, or more than once per {RequestInterval.TotalSeconds:0.#} s, for {replyTo}"
            : null;
        if (problem is null)
        {
            return false;
        }
        Interlocked.Increment(ref _requestsRefused);
        var now = Environment.TickCount64;
        var key = sender ?? "";
        if (now - _lastLogged.GetOrAdd(key, long.MinValue / 2) >= RefusalLogInterval.TotalMilliseconds)
        {
            _lastLogged[key] = now;
            logger.LogInformation("Ignored snapshot request {SnapshotId} of {RequestingSite} from {Sender} on {VirtualHost}: {Problem} (further refusals of this sender are counted, logged at most once a minute)",
                snapshotId, site, sender, virtualHost, problem);
        }
        return true;
    }

    /// <summary>The user_id of a request as the broker delivered it (null when the publisher set none).</summary>
    public static string? SenderOf(ConsumeContext context) =>
        context.ReceiveContext.TryGetPayload<RabbitMqBasicConsumeContext>(out var rabbit) ? rabbit.Properties.UserId : null;

    private bool Acquired(string sender, string replyTo)
    {
        using var lease = _rate.AttemptAcquire((sender, replyTo));
        return lease.IsAcquired;
    }

    /// <summary>Puts <see cref="RequestsRefused"/> on the host's meter.</summary>
    public void ReportTo(RtdMetrics metrics) =>
        metrics.ObserveCounter("rtd.snapshot.requests_refused", "{request}", "snapshot requests refused: no sender, a reply-to the sender may not use, or too often",
            () => RequestsRefused);

    public SnapshotWriter<TRow> Open<TRow>(string replyTo, string site, Guid snapshotId, long watermark, DateTimeOffset takenAt, int maxRows,
        int maxBytes = int.MaxValue, long epoch = 0, Guid streamId = default) =>
        Open<TRow>([new SnapshotReply(replyTo, snapshotId)], site, watermark, takenAt, maxRows, maxBytes, epoch, streamId);

    /// <summary>
    /// One snapshot's rows for several requests at once (<see cref="SnapshotReply"/>: each its own snapshot id and reply
    /// queue): each chunk's rows are encoded once (<see cref="SnapshotChunkJson"/>) and the chunk goes to every reply
    /// queue, <see cref="RepliesPerBatch"/> messages of it built and confirmed at a time.
    /// </summary>
    public SnapshotWriter<TRow> Open<TRow>(IReadOnlyList<SnapshotReply> replies, string site, long watermark, DateTimeOffset takenAt, int maxRows,
        int maxBytes = int.MaxValue, long epoch = 0, Guid streamId = default) =>
        new(site, Guid.Empty, watermark, takenAt, maxRows, maxBytes, (chunk, ct) => SendAsync(replies, chunk with { Epoch = epoch, StreamId = streamId }, ct));

    /// <summary>Messages of one chunk (one per reply queue) built and published at a time: the bound on the encoded copies held.</summary>
    public const int RepliesPerBatch = 16;

    private async Task SendAsync<TRow>(IReadOnlyList<SnapshotReply> replies, SnapshotChunk<TRow> chunk, CancellationToken cancellationToken)
    {
        var rows = Json.Serialize(chunk.Rows);
        foreach (var batch in replies.Chunk(RepliesPerBatch))
        {
            await _publisher.PublishAsync([.. batch.Select(reply => new OutgoingMessage("", reply.ReplyTo,
                SnapshotChunkJson.WithRows(chunk with { SnapshotId = reply.SnapshotId, Rows = [] }, rows),
                $"{chunk.Site}-snapshot-{reply.SnapshotId:N}-{chunk.Index}"))], cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _rate.Dispose();
        await _publisher.DisposeAsync();
    }
}

/// <summary>Where one requester's snapshot goes: its reply queue, and the snapshot id its chunks carry.</summary>
public readonly record struct SnapshotReply(string ReplyTo, Guid SnapshotId);

/// <summary>
/// A chunk's JSON with its rows encoded apart (<see cref="Json.Options"/> both): the same bytes as
/// <c>Json.Serialize(chunk)</c>, so one encoding of the rows serves every requester of the same rows.
/// </summary>
public static class SnapshotChunkJson
{
    private static ReadOnlySpan<byte> EmptyRows => "\"rows\":[]"u8;

    /// <summary><paramref name="header"/> (its <c>Rows</c> empty) with <paramref name="rows"/> (a JSON array) as its rows.</summary>
    public static byte[] WithRows<TRow>(SnapshotChunk<TRow> header, ReadOnlySpan<byte> rows)
    {
        // a string value cannot hold the pattern: the quotes in it are escaped
        var empty = Json.Serialize(header);
        var at = empty.AsSpan().IndexOf(EmptyRows);
        if (header.Rows.Count != 0 || at < 0)
        {
            throw new ArgumentException("The header must be a chunk without rows.", nameof(header));
        }
        var split = at + EmptyRows.Length - 2;
        return [.. empty.AsSpan(0, split), .. rows, .. empty.AsSpan(split + 2)];
    }
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
