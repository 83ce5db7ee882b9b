using System.Buffers;
using System.Globalization;
using System.Text.Json;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// The published rows of one real-time table. A row gets a new version (and central update time) only when its
/// value differs from the one last published; otherwise it keeps both.
/// </summary>
public sealed class RowSet<T>(string table, VersionClock versions) where T : struct, IEquatable<T>, IRealTimeColumns
{
    private readonly Dictionary<long, (T Value, RealTimeRow Row)> _rows = [];
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public string Table { get; } = table;

    public int Count => _rows.Count;

    /// <summary>Records the current value of row <paramref name="id"/>; adds it to <paramref name="changed"/> if it is new or differs.</summary>
    public void Observe(long id, T value, DateTimeOffset now, List<RealTimeRow> changed)
    {
        if (_rows.TryGetValue(id, out var current) && current.Value.Equals(value))
        {
            return;
        }
        var row = new RealTimeRow(id.ToString(CultureInfo.InvariantCulture), versions.Next(), now, ToJson(value));
        _rows[id] = (value, row);
        changed.Add(row);
    }

    /// <summary>Forgets the rows whose id is no longer configured.</summary>
    public void RemoveExcept(IReadOnlySet<long> ids)
    {
        foreach (var id in _rows.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            _rows.Remove(id);
        }
    }

    public void AddAllTo(List<RealTimeRow> rows) => rows.AddRange(_rows.Values.Select(r => r.Row));

    public bool TryGet(long id, out T value)
    {
        var found = _rows.TryGetValue(id, out var entry);
        value = entry.Value;
        return found;
    }

    private JsonElement ToJson(T value)
    {
        _buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(_buffer))
        {
            writer.WriteStartObject();
            value.WriteTo(writer);
            writer.WriteEndObject();
        }
        using var document = JsonDocument.Parse(_buffer.WrittenMemory);
        return document.RootElement.Clone();
    }
}
