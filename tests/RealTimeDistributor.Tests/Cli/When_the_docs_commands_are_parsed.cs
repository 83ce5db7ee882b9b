using System.Text;
using System.Text.RegularExpressions;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.Tests.Cli;

/// <summary>
/// Every `rtd ...` and `rtd-lab ...` command line README.md and docs/*.md give, parsed by the real parser (System.CommandLine,
/// nothing run): the lines of their sh/bash code blocks, and the inline `rtd ...` spans that are commands (their second word
/// a command of the tool, more than command names); `infra/demo.sh ARGS` as the `rtd-lab demo ARGS` it runs. Optional parts (`[--count 20]`) are parsed as given; alternatives
/// (`put/delete`, `add|remove|list`, `--json | --once`) one at a time. A doc that names an option or command the tool does
/// not have fails here with the doc, its line and the parser's error.
/// </summary>
public sealed partial class When_the_docs_commands_are_parsed
{
    public static TheoryData<string, int, string> CommandLines()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var file in new[] { "README.md" }.Concat(Directory.GetFiles(Repository.PathOf("docs"), "*.md").Select(f => $"docs/{Path.GetFileName(f)}")).Order(StringComparer.Ordinal))
        {
            foreach (var (line, command) in Extract(File.ReadAllLines(Repository.PathOf(file))).Distinct())
            {
                data.Add(file, line, command);
            }
        }
        return data;
    }

    [Fact]
    public void Should_find_the_command_lines_the_docs_give() =>
        // a change to the extraction that finds nothing would make the theory below pass on nothing
        Assert.True(CommandLines().Count() > 40, $"only {CommandLines().Count()} command lines found in README.md and docs/*.md");

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void Should_parse_as_written(string file, int line, string command)
    {
        foreach (var words in Alternatives(Words(command)))
        {
            var root = words[0] == "rtd" ? RealTimeDistributor.Cli.Commands.Root() : RealTimeDistributor.Lab.LabCommands.Root();
            var parse = root.Parse(words[1..]);
            Assert.True(parse.Errors.Count == 0,
                $"{file}:{line}: `{string.Join(' ', words)}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        }
    }

    /// <summary>(line, command) for each command line of a Markdown file.</summary>
    private static IEnumerable<(int Line, string Command)> Extract(string[] lines)
    {
        var block = (string?)null;
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.StartsWith("```", StringComparison.Ordinal))
            {
                block = block is null ? text[3..] : null;
                continue;
            }
            if (block is not null)
            {
                // a shell block's line, after a flock prefix, without its comment, background & or redirection
                if (block is "" or "sh" or "bash" && CodeLine().Match(text) is { Success: true } code)
                {
                    yield return (i + 1, code.Groups["command"].Value.Trim());
                }
                else if (block is "" or "sh" or "bash" && DemoScript().Match(text) is { Success: true } demo)
                {
                    yield return (i + 1, RtdLabDemo(demo.Groups["args"].Value));
                }
                continue;
            }
            foreach (var span in DemoSpan().Matches(lines[i]).Select(m => m.Groups["args"].Value).Where(a => a.Trim().Length > 0).Distinct())
            {
                yield return (i + 1, RtdLabDemo(span));
            }
            foreach (Match span in InlineSpan().Matches(lines[i]))
            {
                if (IsCommand(span.Groups["command"].Value))
                {
                    yield return (i + 1, span.Groups["command"].Value);
                }
            }
        }
    }

    /// <summary>infra/demo.sh hands its arguments to `rtd-lab demo`, all but its own `--topology one|sites`.</summary>
    private static string RtdLabDemo(string args) => $"rtd-lab demo {Topology().Replace(args, " ").Trim()}".Trim();

    /// <summary>An inline span that is a command to copy: its second word is a command of the tool and it says more than command names.</summary>
    private static bool IsCommand(string span)
    {
        var words = Words(span);
        if (words.Count < 2 || words[1].StartsWith('"'))
        {
            return false;
        }
        System.CommandLine.Command command = words[0] == "rtd" ? RealTimeDistributor.Cli.Commands.Root() : RealTimeDistributor.Lab.LabCommands.Root();
        var i = 1;
        for (; i < words.Count; i++)
        {
            var names = words[i].Split('/', '|');
            var next = command.Subcommands.FirstOrDefault(c => names.Contains(c.Name));
            if (next is null)
            {
                break;
            }
            command = next;
        }
        return i > 1 && i < words.Count;
    }

    /// <summary>Shell words: quotes removed, a `[` `]` around optional parts dropped.</summary>
    private static List<string> Words(string command)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quote = '\0';
        var any = false;
        foreach (var c in command)
        {
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                any = true;
            }
            else if (char.IsWhiteSpace(c) || c is '[' or ']')
            {
                if (word.Length > 0 || any)
                {
                    words.Add(word.ToString());
                }
                word.Clear();
                any = false;
            }
            else
            {
                word.Append(c);
            }
        }
        if (word.Length > 0 || any)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    /// <summary>
    /// Each way of reading the alternatives: a command word `put/delete` or `add|remove|list` once per name, and
    /// `--json | --once` once per option.
    /// </summary>
    private static IEnumerable<string[]> Alternatives(List<string> words)
    {
        var bar = words.IndexOf("|");
        if (bar > 0 && bar < words.Count - 1)
        {
            foreach (var side in new[] { words.Where((_, i) => i != bar && i != bar + 1), words.Where((_, i) => i != bar && i != bar - 1) })
            {
                foreach (var alternative in Alternatives([.. side]))
                {
                    yield return alternative;
                }
            }
            yield break;
        }
        var split = words.FindIndex(w => CommandAlternatives().IsMatch(w));
        if (split > 0)
        {
            foreach (var name in words[split].Split('/', '|'))
            {
                foreach (var alternative in Alternatives([.. words[..split], name, .. words[(split + 1)..]]))
                {
                    yield return alternative;
                }
            }
            yield break;
        }
        yield return [.. words];
    }

    [GeneratedRegex(@"^[a-z-]+(?:[/|][a-z-]+)+$")]
    private static partial Regex CommandAlternatives();

    [GeneratedRegex(@"^(?:flock\s+\S+\s+)?(?<command>rtd(?:-lab)?\s[^#&>]*)")]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"^infra/demo\.sh(?<args>[^#&>]*)")]
    private static partial Regex DemoScript();

    [GeneratedRegex(@"`infra/demo\.sh(?<args>[^`]*)`")]
    private static partial Regex DemoSpan();

    [GeneratedRegex(@"--topology\s+\S+")]
    private static partial Regex Topology();

    [GeneratedRegex(@"`(?<command>rtd(?:-lab)? [^`]+)`")]
    private static partial Regex InlineSpan();
}
