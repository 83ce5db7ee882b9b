using System.Globalization;
using System.Text.Json;
using RealTimeDistributor.Contracts;

namespace RealTimeDistributor.Client.View;

/// <summary>
/// What an agent's not-ready <c>reasonCode</c> means: the text of the <c>reasoncode</c> configuration row of the agent's
/// peripheral (the <c>agent</c> configuration row's <c>peripheralId</c>) with that code. The wallboard does the same join
/// in the browser; a terminal view or another reader of <see cref="ClientView"/> uses this one
/// (<see cref="ClientView.ReasonText"/>, or <see cref="From"/> once for many agents).
/// </summary>
public sealed class ReasonTexts
{
    private readonly Dictionary<(long Peripheral, int Code), string> _texts;
    private readonly Dictionary<string, long> _peripheralOf;

    private ReasonTexts(Dictionary<(long, int), string> texts, Dictionary<string, long> peripheralOf) =>
        (_texts, _peripheralOf) = (texts, peripheralOf);

    /// <summary>The reason texts and agents' peripherals of <paramref name="rows"/> (a view's rows, configuration included).</summary>
    public static ReasonTexts From(IEnumerable<ViewRow> rows)
    {
        var texts = new Dictionary<(long, int), string>();
        var peripheralOf = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var row in rows.Where(r => r.Kind == SiteUpdate.ConfigKind && r.Value is { ValueKind: JsonValueKind.Object }))
        {
            var value = row.Value!.Value;
            if (row.Table == "reasoncode" && Long(value, "peripheralId") is { } peripheral && Long(value, "code") is { } code
                && value.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                texts[(peripheral, (int)code)] = text.GetString()!;
            }
            else if (row.Table == "agent" && Long(value, "peripheralId") is { } agentPeripheral)
            {
                peripheralOf[row.Key] = agentPeripheral;
            }
        }
        return new ReasonTexts(texts, peripheralOf);
    }

    /// <summary>The text of <paramref name="code"/> on the peripheral of agent <paramref name="agentKey"/>, or null (no code, unknown agent, no text configured).</summary>
    public string? Of(string agentKey, int code) =>
        code != 0 && _peripheralOf.TryGetValue(agentKey, out var peripheral) ? _texts.GetValueOrDefault((peripheral, code)) : null;

    /// <summary>What to show for the reason: its text, else the bare code, else "" (code 0: no reason).</summary>
    public string Label(string agentKey, int code) => code == 0 ? "" : Of(agentKey, code) ?? code.ToString(CultureInfo.InvariantCulture);

    private static long? Long(JsonElement value, string name) =>
        value.TryGetProperty(name, out var field) && field.ValueKind == JsonValueKind.Number && field.TryGetInt64(out var n) ? n : null;
}
