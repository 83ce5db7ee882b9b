using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace RealTimeDistributor.Data.Configuration;

/// <summary>
/// Plain SQL for the configuration tables, derived once from the EF Core model (so the columns can never drift from the
/// mapping): a one-row upsert and delete with positional parameters for the ordered change stream, and a binary COPY for
/// loading a snapshot. EF Core is too slow for a backlog: its change tracker costs more than the database.
/// </summary>
public sealed class ConfigSql
{
    private readonly Dictionary<Type, TableSql> _tables;

    public ConfigSql(IModel model)
    {
        _tables = ConfigTables.All.ToDictionary(t => t.Type, t => new TableSql(model.FindEntityType(t.Type)
            ?? throw new InvalidOperationException($"The model has no entity {t.Type.Name}.")));
    }

    /// <summary>Inserts <paramref name="row"/> or overwrites the row with its id.</summary>
    public NpgsqlBatchCommand Upsert(ConfigRow row)
    {
        var table = _tables[row.GetType()];
        var command = new NpgsqlBatchCommand(table.UpsertSql);
        foreach (var column in table.Columns)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = column.Type, Value = column.Property.GetValue(row) });
        }
        return command;
    }

    /// <summary>Deletes the row of <paramref name="type"/> with <paramref name="id"/> (nothing if there is none).</summary>
    public NpgsqlBatchCommand Delete(Type type, long id)
    {
        var command = new NpgsqlBatchCommand(_tables[type].DeleteSql);
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        return command;
    }

    /// <summary>
    /// Inserts or overwrites many rows of one table in one statement (unnest arrays). The ids must be distinct, and the
    /// rows must not depend on each other's order (a unique name moving from one row to another can fail here and fit
    /// one by one).
    /// </summary>
    public NpgsqlBatchCommand UpsertMany(Type type, IReadOnlyList<ConfigRow> rows)
    {
        var table = _tables[type];
        var command = new NpgsqlBatchCommand(table.UpsertManySql);
        foreach (var column in table.Columns)
        {
            var values = Array.CreateInstance(column.Property.PropertyType, rows.Count);
            for (var i = 0; i < rows.Count; i++)
            {
                values.SetValue(column.Property.GetValue(rows[i]), i);
            }
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | column.Type, Value = values });
        }
        return command;
    }

    /// <summary>Deletes the rows of <paramref name="type"/> with these ids in one statement.</summary>
    public NpgsqlBatchCommand DeleteMany(Type type, long[] ids)
    {
        var command = new NpgsqlBatchCommand(_tables[type].DeleteManySql);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
        return command;
    }

    /// <summary>Writes <paramref name="rows"/> of one table with binary COPY (the fastest way into PostgreSQL).</summary>
    public async Task<ulong> CopyAsync(NpgsqlConnection connection, Type type, IEnumerable<ConfigRow> rows, CancellationToken cancellationToken)
    {
        var table = _tables[type];
        await using var importer = await connection.BeginBinaryImportAsync(table.CopySql, cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            foreach (var column in table.Columns)
            {
                await importer.WriteAsync(column.Property.GetValue(row), column.Type, cancellationToken);
            }
        }
        return await importer.CompleteAsync(cancellationToken);
    }

    /// <summary>Empties every configuration table in one statement.</summary>
    public string TruncateAllSql { get; } = $"TRUNCATE {string.Join(", ", ConfigTables.All.Select(t => $"\"{t.Name}\""))}";

    private sealed record Column(string Name, PropertyInfo Property, NpgsqlDbType Type);

    private sealed class TableSql
    {
        public TableSql(IEntityType entity)
        {
            var table = entity.GetTableName()!;
            Columns = [.. entity.GetProperties().Select(p => new Column(p.GetColumnName(), p.PropertyInfo!, TypeOf(p)))];
            var names = string.Join(", ", Columns.Select(c => $"\"{c.Name}\""));
            var values = string.Join(", ", Columns.Select((_, i) => $"${i + 1}"));
            var set = string.Join(", ", Columns.Where(c => c.Property.Name != nameof(ConfigRow.Id)).Select(c => $"\"{c.Name}\" = excluded.\"{c.Name}\""));
            UpsertSql = $"INSERT INTO \"{table}\" ({names}) VALUES ({values}) ON CONFLICT (\"id\") DO UPDATE SET {set}";
            DeleteSql = $"DELETE FROM \"{table}\" WHERE \"id\" = $1";
            var arrays = string.Join(", ", Columns.Select((_, i) => $"${i + 1}"));
            UpsertManySql = $"INSERT INTO \"{table}\" ({names}) SELECT * FROM unnest({arrays}) ON CONFLICT (\"id\") DO UPDATE SET {set}";
            DeleteManySql = $"DELETE FROM \"{table}\" WHERE \"id\" = ANY($1)";
            CopySql = $"COPY \"{table}\" ({names}) FROM STDIN (FORMAT BINARY)";
        }

        public IReadOnlyList<Column> Columns { get; }

        public string UpsertSql { get; }

        public string DeleteSql { get; }

        public string UpsertManySql { get; }

        public string DeleteManySql { get; }

        public string CopySql { get; }

        private static NpgsqlDbType TypeOf(IProperty property) => property.ClrType switch
        {
            var t when t == typeof(long) => NpgsqlDbType.Bigint,
            var t when t == typeof(int) => NpgsqlDbType.Integer,
            var t when t == typeof(string) => NpgsqlDbType.Text,
            var t => throw new InvalidOperationException($"Configuration column {property.Name} has type {t.Name}, which ConfigSql does not map."),
        };
    }
}
