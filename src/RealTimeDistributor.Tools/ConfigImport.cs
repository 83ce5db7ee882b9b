using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tools;

/// <summary>What an import would do to one row.</summary>
public enum RowChange
{
    New,
    Changed,
    Unchanged,
    Deleted,

    /// <summary>Marked for deletion but not at the center: nothing to do.</summary>
    Absent,
}

/// <summary>One row's change; <paramref name="Version"/> is the center's version read for the plan (sent as the batch change's version).</summary>
public sealed record PlannedRow(FileRow Row, RowChange Change, long? Version = null);

/// <summary>
/// `rtd config import`: compares the file with the center's rows (read through the admin API), then sends only what
/// differs to POST /api/config/batch in batches: upserts parents first (in the tables' order), then deletions children
/// first. Each batch is all or nothing; a refused batch stops the import and names the refused rows. Changes and
/// deletions name the version the plan read, so a row edited at the center meanwhile is refused (409), not overwritten.
/// </summary>
public static class ConfigImport
{
    public const int DefaultBatchSize = 5_000;

    public static async Task<List<PlannedRow>> PlanAsync(HttpClient http, IReadOnlyList<FileRow> rows, CancellationToken cancellationToken)
    {
        var plan = new List<PlannedRow>(rows.Count);
        foreach (var table in rows.GroupBy(r => r.Table))
        {
            var rowsAtCenter = await ExportTableAsync(http, table.Key, cancellationToken);
            var current = rowsAtCenter.ToDictionary(r => r.GetProperty("id").GetInt64(), r => ConfigFiles.Canonical(TypeOf(table.Key), r));
            var versions = rowsAtCenter.ToDictionary(r => r.GetProperty("id").GetInt64(), r => r.TryGetProperty("configSequence", out var v) ? v.GetInt64() : (long?)null);
            foreach (var row in table)
            {
                var exists = current.TryGetValue(row.Id, out var json);
                plan.Add(new PlannedRow(row, (row.Delete, exists) switch
                {
                    (true, true) => RowChange.Deleted,
                    (true, false) => RowChange.Absent,
                    (false, false) => RowChange.New,
                    _ => json == row.Json ? RowChange.Unchanged : RowChange.Changed,
                }, versions.GetValueOrDefault(row.Id)));
            }
        }
        return plan;
    }

    /// <summary>The changes to send, in the order that keeps references valid.</summary>
    public static List<PlannedRow> Ordered(IEnumerable<PlannedRow> plan)
    {
        var order = ConfigTables.All.Select((t, i) => (t.Name, i)).ToDictionary(t => t.Name, t => t.i);
        var changes = plan.Where(p => p.Change is RowChange.New or RowChange.Changed or RowChange.Deleted).ToList();
        return
        [
            .. changes.Where(p => p.Change != RowChange.Deleted).OrderBy(p => order[p.Row.Table]),
            .. changes.Where(p => p.Change == RowChange.Deleted).OrderByDescending(p => order[p.Row.Table]),
        ];
    }

    /// <summary>Sends the changes in batches; returns the number committed. Throws when a batch is refused.</summary>
    public static async Task<int> ApplyAsync(HttpClient http, IReadOnlyList<PlannedRow> changes, int batchSize, TextWriter progress,
        CancellationToken cancellationToken)
    {
        var committed = 0;
        foreach (var batch in changes.Chunk(batchSize))
        {
            var body = new
            {
                changes = batch.Select(p => new
                {
                    table = p.Row.Table,
                    id = p.Row.Id,
                    op = p.Change == RowChange.Deleted ? "delete" : "upsert",
                    row = p.Change == RowChange.Deleted ? (JsonElement?)null : JsonDocument.Parse(p.Row.Json).RootElement,
                    version = p.Change is RowChange.Changed or RowChange.Deleted ? p.Version : null,
                }),
            };
            using var response = await http.PostAsJsonAsync("/api/config/batch", body, Json.Options, cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new CommandFailedException(
                    $"the center refused a batch (HTTP {(int)response.StatusCode}{AdminApiClient.Hint(response.StatusCode)}); {committed:N0} changes were committed before it, none of this batch. {Refusals(text, batch)}");
            }
            committed += batch.Length;
            var result = JsonDocument.Parse(text).RootElement;
            progress.WriteLine($"committed {committed:N0} of {changes.Count:N0} (sequences {result.GetProperty("firstSequence")}-{result.GetProperty("lastSequence")})");
        }
        return committed;
    }

    public static void PrintPlan(IReadOnlyList<PlannedRow> plan, TextWriter output, int listed = 20)
    {
        foreach (var table in plan.GroupBy(p => p.Row.Table))
        {
            var counts = Enum.GetValues<RowChange>().ToDictionary(c => c, c => table.Count(p => p.Change == c));
            output.WriteLine($"{table.Key}: {counts[RowChange.New]} new, {counts[RowChange.Changed]} changed, {counts[RowChange.Unchanged]} unchanged, "
                + $"{counts[RowChange.Deleted]} deleted{(counts[RowChange.Absent] > 0 ? $", {counts[RowChange.Absent]} to delete already absent" : "")}");
            foreach (var kind in new[] { RowChange.New, RowChange.Changed, RowChange.Deleted })
            {
                var rows = table.Where(p => p.Change == kind).ToList();
                foreach (var row in rows.Take(listed))
                {
                    output.WriteLine($"  {kind.ToString().ToLowerInvariant()} {table.Key} {row.Row.Id}{(kind == RowChange.Deleted ? "" : $": {row.Row.Json}")}");
                }
                if (rows.Count > listed)
                {
                    output.WriteLine($"  ... and {rows.Count - listed} more {kind.ToString().ToLowerInvariant()}");
                }
            }
        }
    }

    public static async Task<List<JsonElement>> ExportTableAsync(HttpClient http, string table, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"/api/config/{table}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new CommandFailedException($"GET /api/config/{table}: HTTP {(int)response.StatusCode}{AdminApiClient.Hint(response.StatusCode)} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        return await response.Content.ReadFromJsonAsync<List<JsonElement>>(cancellationToken) ?? [];
    }

    private static Type TypeOf(string table) => ConfigTables.TryGet(table, out var type) ? type : throw new CommandFailedException($"'{table}' is not a table.");

    private static string Refusals(string problem, PlannedRow[] batch)
    {
        try
        {
            var root = JsonDocument.Parse(problem).RootElement;
            if (!root.TryGetProperty("refused", out var refused))
            {
                return root.TryGetProperty("detail", out var detail) ? detail.GetString() ?? problem : problem;
            }
            return "Refused: " + string.Join("; ", refused.EnumerateArray().Select(r =>
            {
                var row = batch[r.GetProperty("index").GetInt32()].Row;
                return $"{row.Table} {row.Id}: {r.GetProperty("reason").GetString()}";
            }));
        }
        catch (JsonException)
        {
            return problem;
        }
    }
}
