using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace RealTimeDistributor.Data.Configuration;

/// <summary>
/// One replicated configuration table: its wire name, its row type, its columns with typed getters, and the plain SQL
/// the ordered change stream and a snapshot load use (a one-row upsert and delete with positional parameters, the same
/// for many rows with unnest arrays, a binary COPY). EF Core is too slow for a backlog: its change tracker costs more than
/// the database. <see cref="Verify"/> checks the columns against the EF Core mapping, so they cannot drift from it.
/// </summary>
public abstract class ConfigTable
{
    private protected ConfigTable(string name, Type type, IReadOnlyList<string> columns)
    {
        Name = name;
        Type = type;
        ColumnNames = columns;
        var names = string.Join(", ", columns.Select(c => $"\"{c}\""));
        var values = string.Join(", ", columns.Select((_, i) => $"${i + 1}"));
        var set = string.Join(", ", columns.Where(c => c != "id").Select(c => $"\"{c}\" = excluded.\"{c}\""));
        UpsertSql = $"INSERT INTO \"{name}\" ({names}) VALUES ({values}) ON CONFLICT (\"id\") DO UPDATE SET {set}";
        UpsertManySql = $"INSERT INTO \"{name}\" ({names}) SELECT * FROM unnest({values}) ON CONFLICT (\"id\") DO UPDATE SET {set}";
        DeleteSql = $"DELETE FROM \"{name}\" WHERE \"id\" = $1";
        DeleteManySql = $"DELETE FROM \"{name}\" WHERE \"id\" = ANY($1)";
        CopySql = $"COPY \"{name}\" ({names}) FROM STDIN (FORMAT BINARY)";
    }

    /// <summary>The wire name (the first word of a routing key: "skillgroup.upsert") and the table's name in the database.</summary>
    public string Name { get; }

    /// <summary>The row type, for JSON (de)serialisation and the EF Core model.</summary>
    public Type Type { get; }

    /// <summary>The database columns, in the order the statements bind them.</summary>
    public IReadOnlyList<string> ColumnNames { get; }

    private string UpsertSql { get; }

    private string UpsertManySql { get; }

    private string DeleteSql { get; }

    private string DeleteManySql { get; }

    private string CopySql { get; }

    public void Deconstruct(out string name, out Type type) => (name, type) = (Name, Type);

    /// <summary>The rows of this table (EF Core, for reads that are not on the apply path).</summary>
    public abstract IQueryable<ConfigRow> Rows(DbContext db);

    /// <summary>Reads a row of this table from its JSON form (null for JSON null).</summary>
    public abstract ConfigRow? Deserialize(JsonElement json, JsonSerializerOptions options);

    /// <summary>Inserts <paramref name="row"/> or overwrites the row with its id.</summary>
    public NpgsqlBatchCommand Upsert(ConfigRow row)
    {
        var command = new NpgsqlBatchCommand(UpsertSql);
        AddParameters(command.Parameters, row);
        return command;
    }

    /// <summary>
    /// Inserts or overwrites many rows in one statement (unnest arrays). The ids must be distinct, and the rows must not
    /// depend on each other's order (a unique name moving from one row to another can fail here and fit one by one).
    /// </summary>
    public NpgsqlBatchCommand UpsertMany(IReadOnlyList<ConfigRow> rows)
    {
        var command = new NpgsqlBatchCommand(UpsertManySql);
        AddArrayParameters(command.Parameters, rows);
        return command;
    }

    /// <summary>Deletes the row with <paramref name="id"/> (nothing if there is none).</summary>
    public NpgsqlBatchCommand Delete(long id) =>
        new(DeleteSql) { Parameters = { new NpgsqlParameter<long> { TypedValue = id } } };

    /// <summary>Deletes the rows with these ids in one statement.</summary>
    public NpgsqlBatchCommand DeleteMany(long[] ids) =>
        new(DeleteManySql) { Parameters = { new NpgsqlParameter<long[]> { TypedValue = ids } } };

    /// <summary>Writes <paramref name="rows"/> with binary COPY (the fastest way into PostgreSQL).</summary>
    public async Task<ulong> CopyAsync(NpgsqlConnection connection, IEnumerable<ConfigRow> rows, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(CopySql, cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await WriteAsync(importer, row, cancellationToken);
        }
        return await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>Throws unless the EF Core <paramref name="model"/> maps this table with exactly these columns.</summary>
    public void Verify(IModel model)
    {
        var entity = model.FindEntityType(Type) ?? throw new InvalidOperationException($"The model has no entity {Type.Name}.");
        var mapped = entity.GetProperties().Select(p => p.GetColumnName()).Order(StringComparer.Ordinal);
        if (entity.GetTableName() != Name || !mapped.SequenceEqual(ColumnNames.Order(StringComparer.Ordinal)))
        {
            throw new InvalidOperationException($"The descriptor of configuration table {Name} ({string.Join(", ", ColumnNames)}) does not match "
                + $"the model's {entity.GetTableName()} ({string.Join(", ", entity.GetProperties().Select(p => p.GetColumnName()))}).");
        }
    }

    private protected abstract void AddParameters(NpgsqlParameterCollection parameters, ConfigRow row);

    private protected abstract void AddArrayParameters(NpgsqlParameterCollection parameters, IReadOnlyList<ConfigRow> rows);

    private protected abstract Task WriteAsync(NpgsqlBinaryImporter importer, ConfigRow row, CancellationToken cancellationToken);
}

/// <summary>A configuration table whose rows are <typeparamref name="T"/>: every row has the id and config_sequence columns, then <c>columns</c>.</summary>
public sealed class ConfigTable<T>(string name, params ConfigColumn<T>[] columns)
    : ConfigTable(name, typeof(T), [.. Columns(columns).Select(c => c.Name)]) where T : ConfigRow
{
    private readonly ConfigColumn<T>[] _columns = Columns(columns);

    public override IQueryable<ConfigRow> Rows(DbContext db) => db.Set<T>();

    public override ConfigRow? Deserialize(JsonElement json, JsonSerializerOptions options) => json.Deserialize<T>(options);

    private protected override void AddParameters(NpgsqlParameterCollection parameters, ConfigRow row)
    {
        foreach (var column in _columns)
        {
            parameters.Add(column.Parameter((T)row));
        }
    }

    private protected override void AddArrayParameters(NpgsqlParameterCollection parameters, IReadOnlyList<ConfigRow> rows)
    {
        foreach (var column in _columns)
        {
            parameters.Add(column.ArrayParameter(rows));
        }
    }

    private protected override async Task WriteAsync(NpgsqlBinaryImporter importer, ConfigRow row, CancellationToken cancellationToken)
    {
        foreach (var column in _columns)
        {
            await column.WriteAsync(importer, (T)row, cancellationToken);
        }
    }

    private static ConfigColumn<T>[] Columns(ConfigColumn<T>[] own) =>
        [ConfigColumn<T>.Of("id", r => r.Id), ConfigColumn<T>.Of("config_sequence", r => r.ConfigSequence), .. own];
}

/// <summary>A column of a configuration table: its database name and a typed getter (no reflection per row).</summary>
public abstract class ConfigColumn<TRow>(string name) where TRow : ConfigRow
{
    public string Name => name;

    public static ConfigColumn<TRow> Of(string name, Func<TRow, long> get) => new Typed<long>(name, get, NpgsqlDbType.Bigint);

    public static ConfigColumn<TRow> Of(string name, Func<TRow, int> get) => new Typed<int>(name, get, NpgsqlDbType.Integer);

    public static ConfigColumn<TRow> Of(string name, Func<TRow, string> get) => new Typed<string>(name, get, NpgsqlDbType.Text);

    public abstract NpgsqlParameter Parameter(TRow row);

    /// <summary>This column of every row, as one array parameter (for unnest).</summary>
    public abstract NpgsqlParameter ArrayParameter(IReadOnlyList<ConfigRow> rows);

    public abstract Task WriteAsync(NpgsqlBinaryImporter importer, TRow row, CancellationToken cancellationToken);

    private sealed class Typed<TValue>(string name, Func<TRow, TValue> get, NpgsqlDbType type) : ConfigColumn<TRow>(name)
    {
        public override NpgsqlParameter Parameter(TRow row) => new NpgsqlParameter<TValue> { NpgsqlDbType = type, TypedValue = get(row) };

        public override NpgsqlParameter ArrayParameter(IReadOnlyList<ConfigRow> rows)
        {
            var values = new TValue[rows.Count];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = get((TRow)rows[i]);
            }
            return new NpgsqlParameter<TValue[]> { NpgsqlDbType = NpgsqlDbType.Array | type, TypedValue = values };
        }

        public override Task WriteAsync(NpgsqlBinaryImporter importer, TRow row, CancellationToken cancellationToken) =>
            importer.WriteAsync(get(row), type, cancellationToken);
    }
}
