using System.Globalization;
using System.Text.Json;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RealTimeDistributor.Cli;

/// <summary>
/// What `rtd client` draws, with Spectre.Console (tables, alignment, cut cells, colours on a terminal): a header (site, sequences, each real-time table live or stale), then a compact summary per skill
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

    /// <summary>The width --once and --table draw at: nothing is cut.</summary>
    private const int Unlimited = 10_000;

    /// <summary>A space right of each column (the last line's end is trimmed): a table without borders ignores left padding.</summary>
    private static readonly Padding Gap = new(0, 0, 1, 0);

    private static readonly Style Heading = new(decoration: Decoration.Bold);
    private static readonly Style Live = new(Color.Green);
    private static readonly Style Warning = new(Color.Yellow);
    private static readonly Style Alarm = new(Color.Red, decoration: Decoration.Bold);

    /// <summary>The real-time columns `--table` leads with, and their headings: what an agent is doing, why, and for how long.</summary>
    private static readonly Dictionary<string, string> Headings = new() { ["reasonCode"] = "reason", [ReasonText] = "reason text", ["stateSince"] = "in state" };

    /// <summary>The column beside an agent's reason code: its text on the agent's peripheral (the reasoncode table, <see cref="ReasonTexts"/>).</summary>
    private const string ReasonText = "reasonText";

    /// <summary>
    /// The frame for a terminal of <paramref name="width"/> x <paramref name="height"/>, drawn by Spectre.Console: plain text,
    /// or with <paramref name="colors"/> its ANSI colours (stale and unreachable in red, live in green, headings bold).
    /// </summary>
    public static string Render(ClientView view, ClientSettings settings, string url, DateTimeOffset now, int width, int height, string? table = null,
        bool colors = false)
    {
        var parts = new List<IRenderable>
        {
            Line($"site {settings.Site}  workstation {settings.Workstation}  site sequence {view.LastSiteSequence} (snapshot {view.SnapshotSequence})  gaps {view.Gaps}",
                view.Gaps > 0 ? Warning : Style.Plain),
            Line($"wallboard {url}/"),
            Freshness(view, settings, now),
            Blank(),
        };
        var rows = view.Rows();
        if (table is not null)
        {
            parts.AddRange(TableParts(rows, table, now));
        }
        else
        {
            var left = Math.Max(4, Math.Min(height, 100_000) - parts.Count - 1);
            var groups = Summary(rows, RealTimeTables.SkillGroup, now);
            var callTypes = Summary(rows, RealTimeTables.CallType, now);
            var agents = rows.Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == RealTimeTables.Agent)
                .GroupBy(r => Text(r.Value, "state")).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
            parts.Add(Line($"agents: {string.Join(", ", agents)}"));
            left--;
            var groupLines = Math.Max(2, callTypes.Count == 0 ? left : Math.Min(groups.Count + 2, left * 2 / 3));
            var summaryColumns = SummaryColumns.Length - SummaryColumns.Reverse().TakeWhile((_, dropped) =>
                NameWidth + SummaryColumns.SkipLast(dropped).Sum(c => c.Width + 1) > width).Count();
            parts.AddRange(Cut("SKILL GROUPS", groups, groupLines, RealTimeTables.SkillGroup, summaryColumns));
            parts.AddRange(Cut("CALL TYPES", callTypes, left - Math.Min(groupLines, groups.Count + 2), RealTimeTables.CallType, summaryColumns));
        }
        return Draw(new Rows(parts), width, colors);
    }

    /// <summary>--once: the header and summary, then every table (or only <paramref name="table"/>) in full, nothing cut, plain text.</summary>
    public static string Print(ClientView view, ClientSettings settings, string url, DateTimeOffset now, string? table)
    {
        var rows = view.Rows();
        var tables = table is null ? rows.Select(r => r.Table).Distinct().ToList() : [];
        return Render(view, settings, url, now, Unlimited, Unlimited, table) + "\n" +
            string.Concat(tables.SelectMany(t => Table(rows, t, now)).Select(line => line + "\n"));
    }

    /// <summary>Each real-time table live or stale, and the configuration's size.</summary>
    private static Paragraph Freshness(ClientView view, ClientSettings settings, DateTimeOffset now)
    {
        var line = new Paragraph { Overflow = Overflow.Ellipsis };
        if (view.CenterUnreachableSince is { } since)
        {
            line.Append(string.Create(CultureInfo.InvariantCulture, $"CENTER UNREACHABLE since {since.ToLocalTime():HH:mm:ss} ({Age(now - since)})"), Alarm).Append("  ");
        }
        line.Append("real-time: ");
        var tables = view.Tables(now, settings.StaleAfter);
        var realTime = tables.Where(t => t.Kind == SiteUpdate.RealTimeKind).ToList();
        if (view.IsLoading || realTime.Count == 0)
        {
            line.Append(view.IsLoading ? "loading a snapshot" : "no rows yet", Warning);
        }
        foreach (var (t, i) in view.IsLoading ? [] : realTime.Select((t, i) => (t, i)))
        {
            line.Append(i == 0 ? "" : ", ").Append(t.Stale ? $"{t.Table} STALE {Age(t.Age)}" : $"{t.Table} live", t.Stale ? Alarm : Live);
        }
        var config = tables.Where(t => t.Kind == SiteUpdate.ConfigKind).ToList();
        return line.Append($"  configuration: {config.Count} tables, {config.Sum(t => t.Rows)} rows");
    }

    private static List<(string Name, string[] Cells)> Summary(IReadOnlyList<ViewRow> rows, string table, DateTimeOffset now)
    {
        var names = Names(rows, table);
        return
        [
            .. rows.Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == table)
                .Select(r => (Name: names.GetValueOrDefault(r.Key, $"{table} {r.Key}"), r.Value))
                .OrderBy(r => r.Name, StringComparer.CurrentCulture)
                .Select(r => (r.Name, SummaryColumns.Select(c => c.Cell(r.Value, now)).ToArray())),
        ];
    }

    /// <summary>
    /// A section as a table under its title (the first column's heading): as many rows as fit in <paramref name="room"/>
    /// lines, then how many did not; the first <paramref name="columns"/> summary columns (those that fit the width).
    /// </summary>
    private static IEnumerable<IRenderable> Cut(string title, List<(string Name, string[] Cells)> rows, int room, string table, int columns)
    {
        if (rows.Count == 0 || room < 3)
        {
            yield break;
        }
        var grid = new Table { Border = TableBorder.None, ShowHeaders = true };
        grid.AddColumn(new TableColumn(new Text(title, Heading)) { Width = NameWidth, NoWrap = true, Padding = Gap });
        foreach (var column in SummaryColumns.Take(columns))
        {
            grid.AddColumn(new TableColumn(new Text(column.Heading, Heading))
            {
                Width = column.Width,
                NoWrap = true,
                Alignment = Justify.Right,
                Padding = Gap,
            });
        }
        var fit = rows.Count <= room - 1 ? rows.Count : room - 2;
        foreach (var (name, cells) in rows.Take(fit))
        {
            grid.AddRow([TextCell(name, NameWidth), .. cells.Take(columns).Select((cell, i) => TextCell(cell, SummaryColumns[i].Width))]);
        }
        yield return grid;
        if (fit < rows.Count)
        {
            yield return Line($"… {rows.Count - fit} more (rtd client --table {table})");
        }
    }

    /// <summary>One table, every row, as plain lines (<see cref="TableParts"/>).</summary>
    public static IEnumerable<string> Table(IReadOnlyList<ViewRow> rows, string table, DateTimeOffset now) =>
        Draw(new Rows(TableParts(rows, table, now)), Unlimited, colors: false).Split('\n').SkipLast(1);

    /// <summary>One table, every row: key, then a column per field in <see cref="KnownColumns"/> order, then the others by name.</summary>
    private static List<IRenderable> TableParts(IReadOnlyList<ViewRow> rows, string table, DateTimeOffset now)
    {
        // the live rows first, then the configuration's
        var selected = rows.Where(r => r.Table == table).OrderBy(r => r.Kind == SiteUpdate.RealTimeKind ? 0 : 1).ToList();
        if (selected.Count == 0)
        {
            return [Line($"no rows in table {table}")];
        }
        var parts = new List<IRenderable>();
        var names = Names(rows, table);
        var reasons = ReasonTexts.From(rows);
        foreach (var kind in selected.Select(r => r.Kind).Distinct())
        {
            var ofKind = selected.Where(r => r.Kind == kind).ToList();
            var fields = ofKind.SelectMany(r => r.Value is { ValueKind: JsonValueKind.Object } v ? v.EnumerateObject().Select(p => p.Name) : [])
                .Distinct().OrderBy(f => Array.IndexOf(KnownColumns, f) is var i and >= 0 ? i : KnownColumns.Length)
                .ThenBy(f => f, StringComparer.Ordinal).ToList();
            if (kind == SiteUpdate.RealTimeKind && fields.Contains("reasonCode"))
            {
                fields.Insert(fields.IndexOf("reasonCode") + 1, ReasonText);
            }
            var leading = fields.Where(Headings.ContainsKey).Prepend("state").Where(fields.Contains).Distinct().ToList();
            fields = [.. leading, .. fields.Except(leading)];
            List<string> columns = kind == SiteUpdate.RealTimeKind
                ? [.. leading, "key", .. names.Count > 0 ? new[] { "name" } : [], .. fields.Skip(leading.Count)]
                : ["key", .. fields];
            var cells = ofKind.Select(r => columns.Select(c => c switch
            {
                "key" => r.Key,
                "name" when kind == SiteUpdate.RealTimeKind => names.GetValueOrDefault(r.Key, ""),
                ReasonText => reasons.Of(r.Key, Text(r.Value, "reasonCode") is var code && int.TryParse(code, CultureInfo.InvariantCulture, out var n) ? n : 0) ?? "",
                _ => Cell(r.Value, c, now),
            }).ToList()).ToList();
            var grid = new Table { Border = TableBorder.None };
            foreach (var (column, i) in columns.Select((c, i) => (c, i)))
            {
                var heading = Headings.GetValueOrDefault(column, column);
                grid.AddColumn(new TableColumn(new Text(heading, Heading))
                {
                    Width = Math.Min(30, Math.Max(heading.Length, cells.Max(row => row[i].Length))),
                    NoWrap = true,
                    Padding = Gap,
                });
            }
            foreach (var row in cells)
            {
                grid.AddRow([.. row.Select((cell, i) => (IRenderable)TextCell(cell, grid.Columns[i].Width!.Value))]);
            }
            parts.Add(Line($"{kind} {table}: {ofKind.Count} rows"));
            parts.Add(grid);
            parts.Add(Blank());
        }
        return parts;
    }

    /// <summary>
    /// Renders through a Spectre.Console console that writes to a string: laid out at full width (no cell wraps), then
    /// each line cut to <paramref name="width"/> cells with "…" (colours kept whole), trailing spaces trimmed.
    /// </summary>
    private static string Draw(IRenderable frame, int width, bool colors)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = colors ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = colors ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = Unlimited;
        var lines = Segment.SplitLines(frame.GetSegments(console))
            .Select(line => Segment.CellCount(line) <= width ? [.. line] : new List<Segment>([.. Segment.Truncate(line, Math.Max(0, width - 1)), new Segment("…")]))
            .ToList();
        console.Write(new SegmentLines(lines));
        return string.Concat(text.ToString().Split('\n').SkipLast(1).Select(line => line.TrimEnd() + "\n"));
    }

    /// <summary>Lines of segments already laid out, each ended by a line break.</summary>
    private sealed class SegmentLines(List<List<Segment>> lines) : Renderable
    {
        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth) =>
            lines.SelectMany(line => line.Append(Segment.LineBreak));
    }

    /// <summary>An empty line (an empty text would be no line at all).</summary>
    private static Text Blank() => new(" ");

    private static Paragraph Line(string text, Style? style = null) => new Paragraph(text, style ?? Style.Plain) { Overflow = Overflow.Ellipsis };

    /// <summary>A cell cut to its column's width with "…" (a cell never wraps onto a second line).</summary>
    private static Text TextCell(string text, int width) => new(text.Length <= width ? text : text[..(width - 1)] + "…");

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

}
