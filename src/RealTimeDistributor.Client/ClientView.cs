using System.Collections.Concurrent;
using System.Text.Json;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client;

/// <summary>One row of the live view: its current value and the central time it was computed at.</summary>
public sealed record ViewRow(string Kind, string Table, string Key, long SiteSequence, JsonElement? Value, DateTimeOffset UpdatedAt);

/// <summary>
/// The workstation's in-memory view of its site: the latest value per (kind, table, key), the last site sequence seen,
/// and what has arrived. Updates at or below the last site sequence are duplicates and are dropped.
/// </summary>
public sealed class ClientView
{
    private readonly ConcurrentDictionary<(string Kind, string Table, string Key), ViewRow> _rows = new();
    private readonly Lock _gate = new();
    private long _lastSiteSequence;
    private long _configChanges;
    private long _realTimeRows;
    private long _duplicates;
    private long _gaps;

    public event Action<ViewRow>? Changed;

    public long LastSiteSequence => Interlocked.Read(ref _lastSiteSequence);

    public long ConfigChanges => Interlocked.Read(ref _configChanges);

    public long RealTimeRows => Interlocked.Read(ref _realTimeRows);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long Gaps => Interlocked.Read(ref _gaps);

    /// <summary>Applies an update; returns false for a duplicate. A gap is counted (and left to the caller to act on).</summary>
    public bool Apply(SiteUpdate update, out bool gap)
    {
        ViewRow row;
        lock (_gate)
        {
            gap = false;
            if (update.SiteSequence <= _lastSiteSequence)
            {
                _duplicates++;
                return false;
            }
            if (_lastSiteSequence != 0 && update.SiteSequence != _lastSiteSequence + 1)
            {
                gap = true;
                _gaps++;
            }
            _lastSiteSequence = update.SiteSequence;
            row = update.Kind == SiteUpdate.ConfigKind
                ? new ViewRow(update.Kind, update.Table, update.Key, update.SiteSequence, update.Config?.Row, update.Config?.CommittedAt ?? update.PublishedAt)
                : new ViewRow(update.Kind, update.Table, update.Key, update.SiteSequence, update.Row?.Data, update.Row?.UpdatedAt ?? update.PublishedAt);
            if (update.Kind == SiteUpdate.ConfigKind && update.Config?.Operation == ConfigOperations.Delete)
            {
                _rows.TryRemove((row.Kind, row.Table, row.Key), out _);
            }
            else
            {
                _rows[(row.Kind, row.Table, row.Key)] = row;
            }
            if (update.Kind == SiteUpdate.ConfigKind)
            {
                _configChanges++;
            }
            else
            {
                _realTimeRows++;
            }
        }
        Changed?.Invoke(row);
        return true;
    }

    public ViewRow? Find(string kind, string table, string key) => _rows.GetValueOrDefault((kind, table, key));

    public IReadOnlyList<ViewRow> Rows() => [.. _rows.Values.OrderBy(r => r.Kind).ThenBy(r => r.Table).ThenBy(r => r.Key, StringComparer.Ordinal)];
}
