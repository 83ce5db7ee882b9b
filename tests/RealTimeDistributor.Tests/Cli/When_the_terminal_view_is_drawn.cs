using RealTimeDistributor.Cli;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Cli;

/// <summary>
/// `rtd client`'s terminal view drawn at 80x24, 120x40 and 200x50: no line wider or more lines than the terminal, the
/// wallboard's address whole, every summary heading over its column (the header and the rows end each column at the
/// same place), and `--table agent` led by state, reason code and text, and time in state.
/// </summary>
public sealed class When_the_terminal_view_is_drawn
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);

    private static ClientView View()
    {
        var rows = new List<ViewRow>();
        for (var i = 1; i <= 30; i++)
        {
            rows.Add(new ViewRow(SiteUpdate.ConfigKind, "skillgroup", $"{i}", i, Json.ToElement(new { name = $"Skill group number {i} with a long name" }), Now));
            rows.Add(new ViewRow(SiteUpdate.RealTimeKind, "skillgroup", $"{i}", 100 + i, Json.ToElement(new
            {
                callsQueuedNow = i * 3,
                longestInQueueSince = Now.AddSeconds(-i * 7),
                serviceLevelHalf = 0.8,
                serviceLevelTo5 = 0.75,
                agentsReady = i,
                agentsTalking = 12,
                agentsWrapUp = 3,
                agentsNotReady = 1,
                callsOfferedHalf = 1234,
                callsAnsweredHalf = 1200,
                callsAbandonedHalf = 34,
            }), Now));
        }
        for (var i = 1; i <= 5; i++)
        {
            rows.Add(new ViewRow(SiteUpdate.RealTimeKind, "calltype", $"{i}", 200 + i, Json.ToElement(new { callsQueuedNow = i, callsOfferedHalf = 99999 }), Now));
            rows.Add(new ViewRow(SiteUpdate.ConfigKind, "agent", $"{i}", i, Json.ToElement(new { name = $"Agent {i}", peripheralId = 1 }), Now));
            rows.Add(new ViewRow(SiteUpdate.ConfigKind, "reasoncode", $"{i}", i, Json.ToElement(new { peripheralId = 1, code = 10 + i, text = $"Reason {10 + i}" }), Now));
            rows.Add(new ViewRow(SiteUpdate.RealTimeKind, "agent", $"{i}", 300 + i, Json.ToElement(new
            {
                skillGroupId = 1,
                state = "talking",
                reasonCode = i == 5 ? 99 : 10 + i,
                stateSince = Now.AddSeconds(-65),
            }), Now));
        }
        var view = new ClientView();
        view.Load(400, rows);
        return view;
    }

    [Theory]
    [InlineData(80, 24)]
    [InlineData(120, 40)]
    [InlineData(200, 50)]
    public void Should_fit_the_terminal_and_line_up_headings_and_columns(int width, int height)
    {
        var settings = new ClientSettings("site-a", "terminal", []);
        var url = "http://127.0.0.1:5095";
        var lines = TerminalView.Render(View(), settings, url, Now, width, height).TrimEnd('\n').Split('\n');

        Assert.True(lines.Length <= height, $"{lines.Length} lines for a terminal of {height}");
        Assert.All(lines, l => Assert.True(l.Length <= width, $"a line of {l.Length} for a terminal of {width}: {l}"));
        Assert.Contains($"wallboard {url}/", lines);
        var header = Array.FindIndex(lines, l => l.StartsWith("SKILL GROUPS", StringComparison.Ordinal));
        Assert.True(header >= 0, string.Join('\n', lines));
        var headings = new[] { "QUEUE", "LONGEST", "SL½h", "SL5m", "READY", "TALK", "WRAP", "NOTRDY", "OFF½h", "ANS½h", "ABN½h" };
        var shown = 0;
        foreach (var heading in headings)
        {
            var at = lines[header].IndexOf(heading, StringComparison.Ordinal);
            if (at < 0)
            {
                // only a heading past the terminal's edge may be missing
                Assert.True(width < 120, $"{heading} missing at width {width}: {lines[header]}");
                continue;
            }
            shown++;
            var end = at + heading.Length;
            foreach (var row in lines.Skip(header + 1).TakeWhile(l => l.StartsWith("Skill group", StringComparison.Ordinal)))
            {
                Assert.True(row.Length >= end && row[end - 1] != ' ' && (row.Length == end || row[end] == ' '),
                    $"column {heading} (ends at {end}) does not line up:\n{lines[header]}\n{row}");
            }
        }
        Assert.True(width < 120 ? shown >= 5 : shown == headings.Length, $"{shown} headings shown at width {width}");
    }

    [Fact]
    public void Should_colour_a_terminal_frame_without_moving_a_character()
    {
        var settings = new ClientSettings("site-a", "terminal", []);
        var plain = TerminalView.Render(View(), settings, "http://127.0.0.1:5095", Now, 120, 40);
        var coloured = TerminalView.Render(View(), settings, "http://127.0.0.1:5095", Now, 120, 40, colors: true);

        Assert.DoesNotContain("\u001b", plain, StringComparison.Ordinal);
        Assert.Contains("\u001b[", coloured, StringComparison.Ordinal);
        Assert.Equal(plain, System.Text.RegularExpressions.Regex.Replace(coloured, @"\u001b\[[0-9;]*m", ""));
    }

    [Fact]
    public void Should_lead_the_agent_table_with_state_reason_and_time_in_state()
    {
        var lines = TerminalView.Table(View().Rows(), "agent", Now).ToList();

        Assert.StartsWith("realtime agent: 5 rows", lines[0], StringComparison.Ordinal);
        Assert.Equal(["state", "reason", "reason", "text", "in", "state", "key", "name"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(8));
        // the reason's text on the agent's peripheral beside its code (the reasoncode table), in the column under its heading
        Assert.Equal(["talking", "11", "Reason", "11", "01:05", "1", "Agent", "1"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(8));
        Assert.Equal(lines[1].IndexOf("reason text", StringComparison.Ordinal), lines[2].IndexOf("Reason 11", StringComparison.Ordinal));
        // a code without a text configured: the code, an empty text
        Assert.Equal(["talking", "99", "01:05", "5", "Agent", "5"], lines[6].Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(6));
    }
}
