using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tools;

/// <summary>A row of an import file: its table, id, whether it is marked for deletion, and the row in canonical JSON.</summary>
public sealed record FileRow(string Table, long Id, bool Delete, string Json);

/// <summary>
/// The bulk configuration files of `rtd config import/export`. JSON: one object, a property per table holding an array
/// of rows. CSV: one file per table, named after it (agent.csv), a header of the row's fields. Either may mark a row
/// for deletion with <c>op</c> = <c>delete</c>; rows without it are upserted. The version (configSequence) is never
/// written and ignored when read: the center assigns it.
/// </summary>
public static class ConfigFiles
{
    public const string OpField = "op";

    /// <summary>A row as canonical JSON (every field, in declaration order, without the version), to compare rows by.</summary>
    public static string Canonical(Type type, JsonElement row)
    {
        var entity = (ConfigRow)row.Deserialize(type, Json.Options)!;
        var node = JsonSerializer.SerializeToNode(entity, type, Json.Options)!.AsObject();
        var canonical = new JsonObject();
        foreach (var (name, _) in Fields(type))
        {
            canonical[name] = node[name]?.DeepClone();
        }
        return canonical.ToJsonString(Json.Options);
    }

    public static List<FileRow> Read(string path)
    {
        if (Directory.Exists(path))
        {
            return [.. Directory.GetFiles(path, "*.csv").Order(StringComparer.Ordinal).SelectMany(ReadCsvFile)];
        }
        if (!File.Exists(path))
        {
            throw new UsageException($"{path} does not exist.");
        }
        return Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? ReadCsvFile(path) : ReadJson(File.ReadAllText(path), path);
    }

    private static List<FileRow> ReadJson(string text, string path)
    {
        JsonObject document;
        try
        {
            document = JsonNode.Parse(text)?.AsObject() ?? throw new JsonException("empty");
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            throw new UsageException($"{path} is not a JSON object of tables ({{\"agent\": [{{\"id\": 1, ...}}], ...}}): {exception.Message}");
        }
        var rows = new List<FileRow>();
        foreach (var (table, value) in document)
        {
            var type = TypeOf(table, path);
            if (value is not JsonArray array)
            {
                throw new UsageException($"{path}: \"{table}\" must be an array of rows.");
            }
            for (var i = 0; i < array.Count; i++)
            {
                rows.Add(ToRow(table, type, array[i] as JsonObject ?? throw new UsageException($"{path}: {table}[{i}] is not an object."),
                    $"{path}: {table}[{i}]"));
            }
        }
        return rows;
    }

    private static List<FileRow> ReadCsvFile(string path)
    {
        var table = Path.GetFileNameWithoutExtension(path);
        var type = TypeOf(table, path);
        var records = Csv.Parse(File.ReadAllText(path));
        if (records.Count == 0)
        {
            return [];
        }
        var header = records[0];
        var properties = new List<(string Name, PropertyInfo Property)?>();
        foreach (var column in header)
        {
            properties.Add(column.Equals(OpField, StringComparison.OrdinalIgnoreCase) ? null : PropertyOf(type, column)
                ?? throw new UsageException($"{path}: column '{column}' is not a field of {table} ({string.Join(", ", Fields(type).Select(f => f.Name))})."));
        }
        var rows = new List<FileRow>();
        for (var line = 1; line < records.Count; line++)
        {
            var record = records[line];
            if (record is [""])
            {
                continue;
            }
            if (record.Count != header.Count)
            {
                throw new UsageException($"{path}: record {line} has {record.Count} fields, the header {header.Count}.");
            }
            var node = new JsonObject();
            for (var c = 0; c < header.Count; c++)
            {
                node[properties[c]?.Name ?? OpField] = properties[c] is { } property ? Value(property.Property, record[c], $"{path}: record {line}, {header[c]}") : record[c];
            }
            rows.Add(ToRow(table, type, node, $"{path}: record {line}"));
        }
        return rows;
    }

    private static FileRow ToRow(string table, Type type, JsonObject node, string where)
    {
        var delete = node[OpField]?.GetValue<string>() is { Length: > 0 } op
            ? op == "delete" || (op == "upsert" ? false : throw new UsageException($"{where}: op is '{op}', not upsert or delete."))
            : false;
        node.Remove(OpField);
        if (node["id"] is not JsonValue idValue || !idValue.TryGetValue<long>(out var id) || id <= 0)
        {
            throw new UsageException($"{where}: the id must be a positive whole number.");
        }
        try
        {
            return new FileRow(table, id, delete, Canonical(type, JsonSerializer.SerializeToElement(node, Json.Options)));
        }
        catch (JsonException exception)
        {
            throw new UsageException($"{where} is not a valid {table} row: {exception.Message}");
        }
    }

    private static JsonNode? Value(PropertyInfo property, string text, string where)
    {
        if (property.PropertyType == typeof(string))
        {
            return text;
        }
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
            ? JsonValue.Create(number)
            : throw new UsageException($"{where}: '{text}' is not a whole number.");
    }

    private static Type TypeOf(string table, string path) => ConfigTables.TryGet(table, out var type) ? type
        : throw new UsageException($"{path}: '{table}' is not a table ({string.Join(", ", ConfigTables.All.Select(t => t.Name))}).");

    /// <summary>The fields of a table's rows as JSON names, without the version.</summary>
    public static List<(string Name, PropertyInfo Property)> Fields(Type type) =>
    [
        .. type.GetProperties().Where(p => p.Name != nameof(ConfigRow.ConfigSequence))
            .OrderBy(p => p.Name == nameof(ConfigRow.Id) ? 0 : 1)
            .Select(p => (Json.Options.PropertyNamingPolicy!.ConvertName(p.Name), p)),
    ];

    private static (string Name, PropertyInfo Property)? PropertyOf(Type type, string column) =>
        Fields(type).Where(f => f.Name.Equals(column, StringComparison.OrdinalIgnoreCase)).Select(f => ((string, PropertyInfo)?)f).FirstOrDefault();

    public static string ToJson(IEnumerable<(string Table, List<JsonElement> Rows)> tables)
    {
        var document = new JsonObject();
        foreach (var (table, rows) in tables)
        {
            document[table] = new JsonArray([.. rows.Select(r => JsonNode.Parse(Canonical(TypeOf(table, "export"), r)))]);
        }
        return document.ToJsonString(new JsonSerializerOptions(Json.Options) { WriteIndented = true }) + "\n";
    }

    public static string ToCsv(string table, List<JsonElement> rows)
    {
        var type = TypeOf(table, "export");
        var fields = Fields(type);
        var text = new StringBuilder();
        text.AppendLine(string.Join(",", fields.Select(f => f.Name)));
        foreach (var row in rows)
        {
            var canonical = JsonDocument.Parse(Canonical(type, row)).RootElement;
            text.AppendLine(string.Join(",", fields.Select(f => canonical.GetProperty(f.Name) is { ValueKind: JsonValueKind.String } s
                ? Csv.Quote(s.GetString()!) : canonical.GetProperty(f.Name).GetRawText())));
        }
        return text.ToString();
    }
}

/// <summary>RFC 4180 CSV: fields quoted when they hold a comma, a quote or a line break; quotes doubled.</summary>
internal static class Csv
{
    public static string Quote(string field) =>
        field.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : field;

    public static List<List<string>> Parse(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                record.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                records.Add(record);
                record = [];
            }
            else
            {
                field.Append(c);
            }
        }
        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            records.Add(record);
        }
        return records;
    }
}
