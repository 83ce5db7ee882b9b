using System.Globalization;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Cli;

/// <summary>
/// What `rtd client` draws: a header (site, sequences, each real-time table live or stale), then a compact summary per skill
/// group and call type (queued, longest wait, service level, agents by state, the half hour's calls) cut to the terminal's
/// height, every line cut to its width; or, with --table, one table with a column per field in a fixed order.
/// </summary>
public static class TerminalView
{
    /// <summary>The columns of the real-time tables in docs/statistics.md order; any other field follows, by name.</summary>
    private static readonly string[] KnownColumns =
    [
        "name", "state", "reasonCode", "stateSince", "skillGroupId", "agentsLoggedOn", "agentsReady", "agentsTalking", "agentsWrapUp",
        "agentsNotReady", "callsQueuedNow", "longestInQueueSince",
        .. new[] { "To5", "Half", "Today" }.SelectMany(w => new[]
        {
            $"callsOffered{w}", $"callsAnswered{w}", $"callsHandled{w}", $"callsAbandoned{w}", $"averageSpeedOfAnswer{w}", $"serviceLevel{w}",
        }),
    ];

    /// <summary>The summary's columns: heading, width (right-aligned but the name), and the cell; header and rows share them, so they line up.</summary>
    private static readonly (string Heading, int Width, Func<JsonElement?, DateTimeOffset, string> Cell)[] SummaryColumns =
    [
        ("QUEUE", 5, (r, _) => Text(r, "callsQueuedNow")),
        ("LONGEST", 7, (r, now) => Since(r, "longestInQueueSince", now)),
        ("SL½h", 5, (r, _) => Percent(r, "serviceLevelHalf")),
        ("SL5m", 5, (r, _) => Percent(r, "serviceLevelTo5")),
        ("READY", 5, (r, _) => Text(r, "agentsReady")),
        ("TALK", 4, (r, _) => Text(r, "agentsTalking")),
        ("WRAP", 4, (r, _) => Text(r, "agentsWrapUp")),
        ("NOTRDY", 6, (r, _) => Text(r, "agentsNotReady")),
        ("OFF½h", 6, (r, _) => Text(r, "callsOfferedHalf")),
        ("ANS½h", 6, (r, _) => Text(r, "callsAnsweredHalf")),
        ("ABN½h", 6, (r, _) => Text(r, "callsAbandonedHalf")),
    ];

    private const int NameWidth = 25;

    /// <summary>The real-time columns `--table` leads with, and their headings: what an agent is doing, why, and for how long.</summary>
    private static readonly Dictionary<string, string> Headings = new() { ["reasonCode"] = "reason", ["stateSince"] = "in state" };

    private static string SummaryLine(string name, IEnumerable<string> cells) =>
        $"{Fit(name, NameWidth),-NameWidth}{string.Concat(cells.Zip(SummaryColumns, (cell, c) => " " + Fit(cell, c.Width).PadLeft(c.Width)))}";

    public static string Render(ClientView view, ClientSettings settings, string url, DateTimeOffset now, int width, int height, string? table = null)
    {
        var lines = new List<string>
        {
            $"site {settings.Site}  workstation {settings.Workstation}  site sequence {view.LastSiteSequence} (snapshot {view.SnapshotSequence})  gaps {view.Gaps}",
            $"wallboard {url}/",
            Freshness(view, settings, now),
            "",
        };
        var rows = view.Rows();
        if (table is not null)
        {
            lines.AddRange(Table(rows, table, now));
        }
        else
        {
            var left = Math.Max(4, Math.Min(height, 100_000) - lines.Count - 1);
            var groups = Summary(rows, RealTimeTables.SkillGroup, now);
            var callTypes = Summary(rows, RealTimeTables.CallType, now);
            var agents = rows.Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == RealTimeTables.Agent)
                .GroupBy(r => Text(r.Value, "state")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
            lines.Add($"agents: {string.Join(", ", agents)}");
            left--;
            var groupLines = Math.Max(2, callTypes.Count == 0 ? left : Math.Min(groups.Count + 2, left * 2 / 3));
            lines.AddRange(Cut("SKILL GROUPS", groups, groupLines, RealTimeTables.SkillGroup));
            lines.AddRange(Cut("CALL TYPES", callTypes, left - Math.Min(groupLines, groups.Count + 2), RealTimeTables.CallType));
        }
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line.Length > width ? line[..Math.Max(0, width - 1)] + "…" : line).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>--once: the header and summary, then every table (or only <paramref name="table"/>) in full, nothing cut.</summary>
    public static string Print(ClientView view, ClientSettings settings, string url, DateTimeOffset now, string? table)
    {
        var rows = view.Rows();
        var tables = table is null ? rows.Select(r => r.Table).Distinct().ToList() : [];
        return Render(view, settings, url, now, int.MaxValue, int.MaxValue, table) + "\n" +
            string.Concat(tables.SelectMany(t => Table(rows, t, now)).Select(line => line + "\n"));
    }

    /// <summary>Each real-time table live or stale, and the configuration's size.</summary>
    private static string Freshness(ClientView view, ClientSettings settings, DateTimeOffset now)
    {
        var tables = view.Tables(now, settings.StaleAfter);
        var realTime = tables.Where(t => t.Kind == SiteUpdate.RealTimeKind)
            .Select(t => t.Stale ? $"{t.Table} STALE {Age(t.Age)}" : $"{t.Table} live");
        var config = tables.Where(t => t.Kind == SiteUpdate.ConfigKind).ToList();
        var center = view.CenterUnreachableSince is { } since
            ? string.Create(CultureInfo.InvariantCulture, $"CENTER UNREACHABLE since {since.ToLocalTime():HH:mm:ss} ({Age(now - since)})  ")
            : "";
        return $"{center}real-time: {(view.IsLoading ? "loading a snapshot" : string.Join(", ", realTime.DefaultIfEmpty("no rows yet")))}" +
            $"  configuration: {config.Count} tables, {config.Sum(t => t.Rows)} rows";
    }

    private static List<string> Summary(IReadOnlyList<ViewRow> rows, string table, DateTimeOffset now)
    {
        var names = Names(rows, table);
        return
        [
            .. rows.Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == table)
                .Select(r => (Name: names.GetValueOrDefault(r.Key, $"{table} {r.Key}"), r.Value))
                .OrderBy(r => r.Name, StringComparer.CurrentCulture)
                .Select(r => SummaryLine(r.Name, SummaryColumns.Select(c => c.Cell(r.Value, now)))),
        ];
    }

    /// <summary>A section's title, header and as many rows as fit in <paramref name="room"/> lines, then how many did not.</summary>
    private static IEnumerable<string> Cut(string title, List<string> rows, int room, string table)
    {
        if (rows.Count == 0 || room < 3)
        {
            yield break;
        }
        yield return SummaryLine(title, SummaryColumns.Select(c => c.Heading));
        var fit = rows.Count <= room - 1 ? rows.Count : room - 2;
        foreach (var row in rows.Take(fit))
        {
            yield return row;
        }
        if (fit < rows.Count)
        {
            yield return $"… {rows.Count - fit} more (rtd client --table {table})";
        }
    }

    /// <summary>One table, every row: key, then a column per field in <see cref="KnownColumns"/> order, then the others by name.</summary>
    public static IEnumerable<string> Table(IReadOnlyList<ViewRow> rows, string table, DateTimeOffset now)
    {
        // the live rows first, then the configuration's
        var selected = rows.Where(r => r.Table == table).OrderBy(r => r.Kind == SiteUpdate.RealTimeKind ? 0 : 1).ToList();
        if (selected.Count == 0)
        {
            yield return $"no rows in table {table}";
            yield break;
        }
        var names = Names(rows, table);
        foreach (var kind in selected.Select(r => r.Kind).Distinct())
        {
            var ofKind = selected.Where(r => r.Kind == kind).ToList();
            var fields = ofKind.SelectMany(r => r.Value is { ValueKind: JsonValueKind.Object } v ? v.EnumerateObject().Select(p => p.Name) : [])
                .Distinct().OrderBy(f => Array.IndexOf(KnownColumns, f) is var i and >= 0 ? i : KnownColumns.Length)
                .ThenBy(f => f, StringComparer.Ordinal).ToList();
            var leading = fields.Where(Headings.ContainsKey).Prepend("state").Where(fields.Contains).Distinct().ToList();
            fields = [.. leading, .. fields.Except(leading)];
            List<string> columns = kind == SiteUpdate.RealTimeKind
                ? [.. leading, "key", .. names.Count > 0 ? new[] { "name" } : [], .. fields.Skip(leading.Count)]
                : ["key", .. fields];
            var cells = ofKind.Select(r => columns.Select(c => c switch
            {
                "key" => r.Key,
                "name" when kind == SiteUpdate.RealTimeKind => names.GetValueOrDefault(r.Key, ""),
                _ => Cell(r.Value, c, now),
            }).ToList()).ToList();
            var widths = columns.Select((c, i) => Math.Min(30, Math.Max(Headings.GetValueOrDefault(c, c).Length, cells.Max(row => row[i].Length)))).ToList();
            yield return $"{kind} {table}: {ofKind.Count} rows";
            yield return string.Join(" ", columns.Select((c, i) => Fit(Headings.GetValueOrDefault(c, c), widths[i]).PadRight(widths[i])));
            foreach (var row in cells)
            {
                yield return string.Join(" ", row.Select((c, i) => Fit(c, widths[i]).PadRight(widths[i])));
            }
            yield return "";
        }
    }

    private static Dictionary<string, string> Names(IReadOnlyList<ViewRow> rows, string table) =>
        rows.Where(r => r.Kind == SiteUpdate.ConfigKind && r.Table == table && r.Value is { ValueKind: JsonValueKind.Object } v && v.TryGetProperty("name", out _))
            .ToDictionary(r => r.Key, r => r.Value!.Value.GetProperty("name").ToString());

    private static string Cell(JsonElement? row, string column, DateTimeOffset now) =>
        column.StartsWith("serviceLevel", StringComparison.Ordinal) ? Percent(row, column)
        : column.EndsWith("Since", StringComparison.Ordinal) ? Since(row, column, now)
        : Text(row, column);

    private static string Text(JsonElement? row, string column) =>
        row is { ValueKind: JsonValueKind.Object } v && v.TryGetProperty(column, out var value) && value.ValueKind != JsonValueKind.Null
            ? value.ToString()
            : "-";

    private static string Percent(JsonElement? row, string column) =>
        row is { ValueKind: JsonValueKind.Object } v && v.TryGetProperty(column, out var value) && value.ValueKind == JsonValueKind.Number
            ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round(value.GetDouble() * 100, MidpointRounding.AwayFromZero)}%")
            : "-";

    private static string Since(JsonElement? row, string column, DateTimeOffset now) =>
        row is { ValueKind: JsonValueKind.Object } v && v.TryGetProperty(column, out var since) && since.ValueKind == JsonValueKind.String
            ? Age(now - since.GetDateTimeOffset())
            : "-";

    /// <summary>mm:ss, h:mm:ss from an hour on; never negative (a clock ahead of this one reads 00:00).</summary>
    public static string Age(TimeSpan age)
    {
        var seconds = (long)Math.Max(0, age.TotalSeconds);
        return seconds >= 3600
            ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}:{seconds / 60 % 60:00}:{seconds % 60:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:00}:{seconds % 60:00}");
    }

    private static string Fit(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";
}
