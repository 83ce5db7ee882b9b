using System.Text.Json;
using System.Text.Json.Serialization;

namespace RealTimeDistributor.Contracts;

/// <summary>
/// The wire form of the <see cref="SiteUpdate"/> shapes (docs/wire-format.md): one flat object with every field, in the
/// order wire formats 2 and 3 have always had (<c>kind</c> third, fields a shape does not have written as null or 0), so
/// the bytes are those of the single record the shapes replaced. Reading picks the shape by <c>kind</c> and refuses a
/// message that is none of them (an unknown kind, a configuration message without its change and key, a real-time message
/// without rows, a field of another shape) with a <see cref="JsonException"/> that names why. Field names match as
/// System.Text.Json's web defaults do (any case); a field it does not know is skipped.
/// </summary>
public sealed class SiteUpdateJson : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) => typeof(SiteUpdate).IsAssignableFrom(typeToConvert);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        typeToConvert == typeof(ConfigUpdate) ? new Of<ConfigUpdate>()
        : typeToConvert == typeof(RealTimeUpdate) ? new Of<RealTimeUpdate>()
        : typeToConvert == typeof(ResetUpdate) ? new Of<ResetUpdate>()
        : typeToConvert == typeof(StatusUpdate) ? new Of<StatusUpdate>()
        : typeToConvert == typeof(HeartbeatUpdate) ? new Of<HeartbeatUpdate>()
        : new Of<SiteUpdate>();

    private sealed class Of<T> : JsonConverter<T>
        where T : SiteUpdate
    {
        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ReadUpdate(ref reader, options) is T update ? update : throw new JsonException($"the message is not a {typeof(T).Name}");

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => WriteUpdate(writer, value, options);
    }

    private static void WriteUpdate(Utf8JsonWriter writer, SiteUpdate update, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("site", update.Site);
        writer.WriteNumber("siteSequence", update.SiteSequence);
        writer.WriteString("kind", update.Kind);
        writer.WriteString("table", update.Table);
        Write(writer, "key", (update as ConfigUpdate)?.Key, options);
        Write(writer, "config", (update as ConfigUpdate)?.Config, options);
        Write(writer, "rows", (update as RealTimeUpdate)?.Rows, options);
        Write(writer, "publishedAt", update.PublishedAt, options);
        writer.WriteNumber("previousSiteSequence", update.PreviousSiteSequence);
        writer.WriteNumber("previousKeySequence", update.PreviousKeySequence);
        Write(writer, "centerUnreachableSince", (update as StatusUpdate)?.CenterUnreachableSince, options);
        writer.WriteNumber("firstSiteSequence", update.FirstSiteSequence);
        writer.WriteNumber("epoch", update.Epoch);
        Write(writer, "streamId", update.StreamId, options);
        if (update is HeartbeatUpdate heartbeat)
        {
            // a heartbeat's own fields come last, and only on a heartbeat: the other shapes' bytes stay those of wire format 3
            writer.WriteNumber("chainHead", heartbeat.ChainHead);
            writer.WriteNumber("rowCount", heartbeat.RowCount);
        }
        writer.WriteEndObject();
    }

    private static void Write<TValue>(Utf8JsonWriter writer, string name, TValue value, JsonSerializerOptions options)
    {
        writer.WritePropertyName(name);
        JsonSerializer.Serialize(writer, value, options);
    }

    private static SiteUpdate ReadUpdate(ref Utf8JsonReader reader, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("a site message is a JSON object");
        }
        var fields = new Fields();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            try
            {
                fields.Read(ref reader, name, options);
            }
            catch (JsonException exception)
            {
                throw new JsonException($"field '{name}': {exception.Message}", exception);
            }
        }
        return fields.ToUpdate();
    }

    /// <summary>The fields of one site message as read, before they make a shape.</summary>
    private sealed class Fields
    {
        private string _site = "", _table = "";
        private string? _kind, _key;
        private long _siteSequence, _previousSiteSequence, _previousKeySequence, _epoch;
        private long? _chainHead, _rowCount;
        private long? _firstSiteSequence;
        private ConfigChanged? _config;
        private List<RealTimeRow>? _rows;
        private DateTimeOffset _publishedAt;
        private DateTimeOffset? _centerUnreachableSince;
        private Guid _streamId;

        public void Read(ref Utf8JsonReader reader, string name, JsonSerializerOptions options)
        {
            switch (name.ToLowerInvariant())
            {
                case "site": _site = Value<string>(ref reader, options) ?? ""; break;
                case "sitesequence": _siteSequence = Value<long>(ref reader, options); break;
                case "kind": _kind = Value<string>(ref reader, options); break;
                case "table": _table = Value<string>(ref reader, options) ?? ""; break;
                case "key": _key = Value<string>(ref reader, options); break;
                case "config": _config = Value<ConfigChanged>(ref reader, options); break;
                case "rows": _rows = Value<List<RealTimeRow>>(ref reader, options); break;
                case "publishedat": _publishedAt = Value<DateTimeOffset>(ref reader, options); break;
                case "previoussitesequence": _previousSiteSequence = Value<long>(ref reader, options); break;
                case "previouskeysequence": _previousKeySequence = Value<long>(ref reader, options); break;
                case "centerunreachablesince": _centerUnreachableSince = Value<DateTimeOffset?>(ref reader, options); break;
                case "firstsitesequence": _firstSiteSequence = Value<long>(ref reader, options); break;
                case "epoch": _epoch = Value<long>(ref reader, options); break;
                case "streamid": _streamId = Value<Guid>(ref reader, options); break;
                case "chainhead": _chainHead = Value<long>(ref reader, options); break;
                case "rowcount": _rowCount = Value<long>(ref reader, options); break;
                default: reader.Skip(); break;
            }
        }

        public SiteUpdate ToUpdate()
        {
            if (_centerUnreachableSince is not null && _kind != SiteUpdate.StatusKind)
            {
                throw new JsonException("only a status message carries centerUnreachableSince");
            }
            if ((_chainHead is not null || _rowCount is not null) && _kind != SiteUpdate.HeartbeatKind)
            {
                throw new JsonException("only a heartbeat carries chainHead and rowCount");
            }
            SiteUpdate update = _kind switch
            {
                SiteUpdate.ConfigKind when _config is null || _key is null =>
                    throw new JsonException($"a configuration message must carry one change of its table and key ({_table} {_key})"),
                SiteUpdate.ConfigKind when _rows is not null => throw new JsonException("a configuration message carries no real-time rows"),
                SiteUpdate.ConfigKind => new ConfigUpdate(_site, _siteSequence, _table, _key, _config, _publishedAt),
                SiteUpdate.RealTimeKind when _rows is null || _config is not null =>
                    throw new JsonException("a real-time message carries one or more rows and no configuration change"),
                SiteUpdate.RealTimeKind when _key is not null => throw new JsonException("a real-time message carries no key (each row has its own)"),
                SiteUpdate.RealTimeKind => new RealTimeUpdate(_site, _siteSequence, _table, _rows, _publishedAt),
                SiteUpdate.ResetKind when _table.Length > 0 || _key is not null || _config is not null || _rows is not null =>
                    throw new JsonException("a reset carries no table, key, change or rows"),
                SiteUpdate.ResetKind => new ResetUpdate(_site, _siteSequence, _publishedAt),
                SiteUpdate.StatusKind when _table != SiteUpdate.CenterTable || _key is not null || _config is not null || _rows is not null =>
                    throw new JsonException($"a status message is of table {SiteUpdate.CenterTable} and carries no key, change or rows"),
                SiteUpdate.StatusKind => new StatusUpdate(_site, _centerUnreachableSince, _publishedAt),
                SiteUpdate.HeartbeatKind when _chainHead is null || _rowCount is null || _key is not null || _config is not null || _rows is not null =>
                    throw new JsonException("a heartbeat carries its table's chainHead and rowCount and no key, change or rows"),
                SiteUpdate.HeartbeatKind => new HeartbeatUpdate(_site, _table, _chainHead.Value, _rowCount.Value, _publishedAt),
                _ => throw new JsonException(
                    $"kind '{_kind}' is not {SiteUpdate.ConfigKind}, {SiteUpdate.RealTimeKind}, {SiteUpdate.ResetKind}, {SiteUpdate.StatusKind} or {SiteUpdate.HeartbeatKind}"),
            };
            return update with
            {
                SiteSequence = _siteSequence,
                FirstSiteSequence = _firstSiteSequence ?? _siteSequence,
                PreviousSiteSequence = _previousSiteSequence,
                PreviousKeySequence = _previousKeySequence,
                Epoch = _epoch,
                StreamId = _streamId,
            };
        }

        private static T? Value<T>(ref Utf8JsonReader reader, JsonSerializerOptions options) => JsonSerializer.Deserialize<T>(ref reader, options);
    }
}
