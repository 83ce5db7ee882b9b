using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MassTransit.Serialization;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Contracts;

/// <summary>
/// Each site message shape is written byte for byte as the examples of docs/wire-format.md show it (field order and
/// values; the examples' layout aside), reads back as the same shape (with the distributor's options and with the ones the
/// client's MassTransit consumer reads with), and a message that is none of the shapes does not parse, with its reason.
/// </summary>
public sealed partial class When_site_messages_cross_the_wire
{
    private static readonly Guid Stream = Guid.Parse("0f8e6c1a-3b5d-4c2e-9a7f-1d2e3f4a5b6c");
    private const long Epoch = 1764417600001;

    private static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);

    private static JsonElement Data(string json) => JsonDocument.Parse(json).RootElement.Clone();

    public static TheoryData<string> Kinds => [SiteUpdate.ConfigKind, SiteUpdate.RealTimeKind, SiteUpdate.ResetKind, SiteUpdate.StatusKind, SiteUpdate.HeartbeatKind];

    /// <summary>The messages of the documented examples, built as the distributor builds them.</summary>
    private static SiteUpdate Documented(string kind) => kind switch
    {
        SiteUpdate.ConfigKind => new ConfigUpdate("site-a", 1042, "skillgroup", "10",
            new ConfigChanged(3, 2, "skillgroup", ConfigOperations.Upsert, "10", Data("""{"id":10,"name":"Sales EMEA","peripheralId":1,"configSequence":3}"""),
                At("2026-11-25T21:49:58.412337+00:00")),
            At("2026-11-25T21:49:58.4529117+00:00"))
        {
            PreviousSiteSequence = 1017,
            PreviousKeySequence = 988,
            Epoch = Epoch,
            StreamId = Stream,
        },
        SiteUpdate.RealTimeKind => new RealTimeUpdate("site-a", 1044, "skillgroup",
            [
                new RealTimeRow("10", 639312401984411201, At("2026-11-25T21:49:58.44112+00:00"), Data("""{"agentsReady":2,"agentsTalking":1,"agentsNotReady":0}""")),
                new RealTimeRow("11", 639312401984411202, At("2026-11-25T21:49:58.44112+00:00"), Data("""{"agentsReady":0,"agentsTalking":3,"agentsNotReady":1}""")),
            ],
            At("2026-11-25T21:49:58.4611843+00:00"))
        {
            FirstSiteSequence = 1043,
            PreviousSiteSequence = 1041,
            Epoch = Epoch,
            StreamId = Stream,
        },
        SiteUpdate.ResetKind => new ResetUpdate("site-a", 1043, At("2026-11-29T12:01:07.2+00:00")) { Epoch = Epoch, StreamId = Stream },
        SiteUpdate.HeartbeatKind => new HeartbeatUpdate("site-a", "skillgroup", 1044, 240, At("2026-11-25T21:50:28.4702213+00:00")) { Epoch = Epoch, StreamId = Stream },
        _ => new StatusUpdate("site-b", At("2026-11-29T12:00:00.4+00:00"), At("2026-11-29T12:00:05.1+00:00")),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Should_write_each_shape_as_the_wire_format_documents_it(string kind)
    {
        var written = Encoding.UTF8.GetString(Json.Serialize(Documented(kind)));

        Assert.Equal(Example(kind), written);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Should_read_each_documented_example_back_as_its_shape(string kind)
    {
        var example = Example(kind);
        var expected = Documented(kind);

        foreach (var options in new[] { Json.Options, SystemTextJsonMessageSerializer.Options })
        {
            var read = JsonSerializer.Deserialize<SiteUpdate>(example, options)!;
            Assert.IsType(expected.GetType(), read);
            Assert.Equal(kind, read.Kind);
            Assert.Equal(example, Encoding.UTF8.GetString(Json.Serialize(read)));
        }
    }

    public static TheoryData<string, string, string> NoShape => new()
    {
        { "an unknown kind", """{"site":"site-a","siteSequence":5,"kind":"script","table":"agent"}""", "kind 'script'" },
        { "no kind", """{"site":"site-a","siteSequence":5,"table":"agent"}""", "kind ''" },
        { "a configuration message without its change", """{"site":"site-a","siteSequence":5,"kind":"config","table":"agent","key":"1"}""",
            "one change of its table and key" },
        { "a configuration message without its key", """{"site":"site-a","siteSequence":5,"kind":"config","table":"agent","config":{"table":"agent","key":"1"}}""",
            "one change of its table and key" },
        { "a configuration message with rows", """{"kind":"config","table":"agent","key":"1","config":{"table":"agent","key":"1"},"rows":[]}""",
            "no real-time rows" },
        { "a real-time message without rows", """{"site":"site-a","siteSequence":5,"kind":"realtime","table":"agent"}""", "one or more rows" },
        { "a real-time message with a change", """{"kind":"realtime","table":"agent","rows":[],"config":{"table":"agent","key":"1"}}""",
            "no configuration change" },
        { "a real-time message with a key", """{"kind":"realtime","table":"agent","key":"1","rows":[]}""", "no key" },
        { "a reset of a table", """{"site":"site-a","siteSequence":3,"kind":"reset","table":"agent","epoch":1}""", "a reset carries no table" },
        { "a reset with rows", """{"site":"site-a","siteSequence":3,"kind":"reset","table":"","rows":[]}""", "a reset carries no table" },
        { "a status of another table", """{"site":"site-a","kind":"status","table":"agent"}""", "of table center" },
        { "a center status on a change", """{"kind":"config","table":"agent","key":"1","config":{"table":"agent","key":"1"},"centerUnreachableSince":"2026-11-29T12:00:00Z"}""",
            "only a status message" },
        { "a heartbeat without its chain head", """{"site":"site-a","kind":"heartbeat","table":"agent","rowCount":3}""", "chainHead and rowCount" },
        { "a heartbeat with rows", """{"kind":"heartbeat","table":"agent","chainHead":5,"rowCount":3,"rows":[]}""", "no key, change or rows" },
        { "a chain head on a change", """{"kind":"realtime","table":"agent","rows":[],"chainHead":5}""", "only a heartbeat" },
        { "an array", "[]", "a JSON object" },
        { "a sequence that is not a number", """{"site":"site-a","siteSequence":"x","kind":"reset","table":""}""", "siteSequence" },
    };

    [Theory]
    [MemberData(nameof(NoShape))]
    public void Should_not_parse_a_message_that_is_none_of_the_shapes(string what, string json, string reason)
    {
        var refused = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SiteUpdate>(json, SystemTextJsonMessageSerializer.Options));

        Assert.True(refused.Message.Contains(reason, StringComparison.Ordinal), $"{what}: {refused.Message}");
    }

    [Fact]
    public void Should_read_a_message_of_fewer_fields_with_their_defaults()
    {
        var read = JsonSerializer.Deserialize<SiteUpdate>("""{"site":"site-a","siteSequence":7,"kind":"reset","table":""}""", Json.Options)!;

        Assert.Equal(new ResetUpdate("site-a", 7, default), read);
        Assert.Equal(7, read.FirstSiteSequence);
    }

    /// <summary>The docs/wire-format.md example of <paramref name="kind"/>, without its layout: the JSON block whose "kind" it is.</summary>
    private static string Example(string kind)
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "RealTimeDistributor.sln")))
        {
            root = root.Parent;
        }
        var doc = File.ReadAllText(Path.Combine(root!.FullName, "docs", "wire-format.md"));
        var examples = JsonBlocks().Matches(doc)
            .Select(m => m.Groups[1].Value)
            .Where(text => JsonDocument.Parse(text).RootElement is { ValueKind: JsonValueKind.Object } e && e.TryGetProperty("kind", out var k) && k.GetString() == kind)
            .ToList();
        return Compact(Assert.Single(examples));
    }

    /// <summary>The JSON text without the whitespace between its tokens, its strings as written.</summary>
    private static string Compact(string json)
    {
        var compact = new StringBuilder();
        var (inString, escaped) = (false, false);
        foreach (var c in json)
        {
            if (inString || !char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
            (inString, escaped) = (inString ? escaped || c != '"' : c == '"', inString && !escaped && c == '\\');
        }
        return compact.ToString();
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlocks();
}
