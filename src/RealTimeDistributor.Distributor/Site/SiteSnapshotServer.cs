using System.Data;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Distributor.Site;

/// <summary>
/// Serves site snapshots, many requests with one read. Requests that arrive while the replica is being read wait, and the
/// next read serves every one of them at once (at most <see cref="MaxShared"/>: the consumer's concurrency): the site
/// sequence, the configuration tables and realtime_row are read in ONE repeatable-read transaction, so the rows are
/// exactly the state after that site sequence (SiteStream hands out a site sequence in the same transaction that writes
/// the rows), and every request of the read gets that one state. Requests with the same bindings share each chunk's
/// encoding (<see cref="SnapshotSender.Open{TRow}(IReadOnlyList{SnapshotReply}, string, long, DateTimeOffset, int, int, long, Guid)"/>);
/// every row is read and parsed once, whatever the bindings. Memory per read: one chunk of rows per distinct set of
/// bindings (the rows themselves shared) and <see cref="SnapshotSender.RepliesPerBatch"/> encoded messages; no whole
/// snapshot is held.
/// </summary>
public sealed class SiteSnapshotServer(IServiceScopeFactory scopes, SnapshotSender sender, DistributorSettings settings, TimeProvider clock,
    ILogger<SiteSnapshotServer> logger) : IDisposable
{
    /// <summary>Requests one read serves at most: the snapshot consumer's concurrent message limit.</summary>
    public const int MaxShared = 100;

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private List<Waiting> _next = [];
    private bool _reading;
    private long _served;
    private long _reads;

    /// <summary>Requests answered since the start: GET /stats <c>snapshotRequestsServed</c>.</summary>
    public long Served => Interlocked.Read(ref _served);

    /// <summary>Reads of the replica that answered them (one per batch of waiting requests): GET /stats <c>snapshotReplicaReads</c>.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>
    /// Answers <paramref name="request"/> (already checked: <see cref="SnapshotSender.Refuses"/>) with the next read of the
    /// replica; completes once its last chunk is confirmed, fails when that read fails (the consumer's retry asks again).
    /// </summary>
    public Task ServeAsync(SiteSnapshotRequested request, CancellationToken cancellationToken)
    {
        var waiting = new Waiting(request, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        bool start;
        lock (_gate)
        {
            _next.Add(waiting);
            start = !_reading;
            _reading = true;
        }
        if (start)
        {
            _ = Task.Run(ReadWhileWaitingAsync, CancellationToken.None);
        }
        return waiting.Answered.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Puts the counters on the host's meter.</summary>
    public void ReportTo(RtdMetrics metrics)
    {
        metrics.ObserveCounter("rtd.snapshot.served", "{request}", "site snapshot requests answered", () => Served);
        metrics.ObserveCounter("rtd.snapshot.replica_reads", "{read}", "reads of the replica that answered site snapshot requests (one per batch of waiting requests)", () => Reads);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private async Task ReadWhileWaitingAsync()
    {
        while (true)
        {
            List<Waiting> batch;
            lock (_gate)
            {
                if (_next.Count == 0 || _stopping.IsCancellationRequested)
                {
                    _reading = false;
                    batch = _next;
                    _next = [];
                    batch.ForEach(w => w.Answered.TrySetCanceled());
                    return;
                }
                (batch, _next) = (_next, []);
            }
            try
            {
                await ReadAsync(batch, _stopping.Token);
                Interlocked.Add(ref _served, batch.Count);
                batch.ForEach(w => w.Answered.TrySetResult());
            }
            catch (Exception exception)
            {
                batch.ForEach(w => w.Answered.TrySetException(exception));
            }
        }
    }

    private async Task ReadAsync(List<Waiting> batch, CancellationToken ct)
    {
        Interlocked.Increment(ref _reads);
        var started = Stopwatch.StartNew();
        var takenAt = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ReplicaDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        // the site sequence, and the epoch and stream the rows were committed under, as of this transaction
        var state = (await db.SyncState.AsNoTracking().Where(s => s.Site == settings.Site)
            .Select(s => new { s.SiteSequence, s.Epoch, s.StreamId }).ToListAsync(ct)).Single();
        // requests with the same bindings share a writer: each chunk of theirs is encoded once
        var groups = batch.GroupBy(w => string.Join('\n', w.Bindings.Order(StringComparer.Ordinal).Distinct()), StringComparer.Ordinal)
            .Select(g => new Group(g.First().Bindings, sender.Open<SiteSnapshotRow>([.. g.Select(w => new SnapshotReply(w.Request.ReplyTo, w.Request.SnapshotId))],
                settings.Site, state.SiteSequence, takenAt, Topology.Site.SnapshotChunkRows, epoch: state.Epoch, streamId: state.StreamId)))
            .ToList();

        foreach (var table in ConfigTables.All)
        {
            var readers = groups.Where(g => g.CanMatch(table.Name)).ToList();
            if (readers.Count == 0)
            {
                continue;
            }
            await foreach (var row in table.Rows(db).AsNoTracking().OrderBy(r => r.Id).AsAsyncEnumerable().WithCancellation(ct))
            {
                var key = row.Id.ToString(CultureInfo.InvariantCulture);
                await AddAsync(readers, table.Name, key, () => new SiteSnapshotRow(SiteUpdate.ConfigKind, table.Name, key,
                    row.ConfigSequence, takenAt, JsonSerializer.SerializeToElement(row, table.Type, Json.Options)), ct);
            }
        }

        var realTimeTables = RealTimeTables.All.Where(t => groups.Any(g => g.CanMatch(t))).ToArray();
        await using (var command = new NpgsqlCommand(
            "SELECT table_name, key, version, central_updated_at, data::text FROM realtime_row WHERE table_name = ANY(@tables) ORDER BY table_name, key",
            (NpgsqlConnection)db.Database.GetDbConnection(), (NpgsqlTransaction)transaction.GetDbTransaction()))
        {
            command.Parameters.AddWithValue("tables", realTimeTables);
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var (table, key) = (reader.GetString(0), reader.GetString(1));
                await AddAsync(groups, table, key, () =>
                {
                    using var data = JsonDocument.Parse(reader.GetString(4));
                    return new SiteSnapshotRow(SiteUpdate.RealTimeKind, table, key, reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3),
                        data.RootElement.Clone());
                }, ct);
            }
        }
        await transaction.CommitAsync(ct);
        foreach (var group in groups)
        {
            await group.Writer.FinishAsync(ct);
        }
        logger.LogInformation(
            "Served {Requests} snapshot requests with one read at site sequence {Sequence}, epoch {Epoch}, to {Workstations}: {Rows} rows in {Chunks} chunks for {BindingSets} sets of bindings, {ElapsedMs} ms",
            batch.Count, state.SiteSequence, state.Epoch, batch.Select(w => w.Request.Workstation), groups.Sum(g => g.Writer.TotalRows),
            groups.Sum(g => g.Writer.Chunks), groups.Count, started.ElapsedMilliseconds);
    }

    /// <summary>Adds the row (made once, when a group wants it) to every group whose bindings match its routing key.</summary>
    private static async Task AddAsync(List<Group> groups, string table, string key, Func<SiteSnapshotRow> read, CancellationToken ct)
    {
        SiteSnapshotRow? row = null;
        foreach (var group in groups)
        {
            if (group.Wants(table, key))
            {
                await group.Writer.AddAsync(row ??= read(), ct);
            }
        }
    }

    private sealed record Waiting(SiteSnapshotRequested Request, TaskCompletionSource Answered)
    {
        public IReadOnlyList<string> Bindings => Request.Bindings is { Count: > 0 } ? Request.Bindings : [Topology.AllKeys];
    }

    private sealed record Group(IReadOnlyList<string> Bindings, SnapshotWriter<SiteSnapshotRow> Writer)
    {
        private readonly Dictionary<string, (bool Can, bool Covers)> _tables = new(StringComparer.Ordinal);

        public bool CanMatch(string table) => Table(table).Can;

        /// <summary>Whether the row's routing key "{table}.{key}" matches one of the bindings (no matching when one covers the table).</summary>
        public bool Wants(string table, string key) => Table(table) is var (can, covers) && (covers || can && TopicPattern.MatchesAny(Bindings, Topology.Site.RoutingKey(table, key)));

        private (bool Can, bool Covers) Table(string table)
        {
            if (!_tables.TryGetValue(table, out var answer))
            {
                _tables[table] = answer = (Bindings.Any(b => TopicPattern.CanMatchTable(b, table)), Bindings.Any(b => TopicPattern.CoversTable(b, table)));
            }
            return answer;
        }
    }
}
