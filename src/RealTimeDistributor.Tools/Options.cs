using System.CommandLine;
using System.CommandLine.Parsing;

namespace RealTimeDistributor.Tools;

/// <summary>A command called wrong (a value out of range, a missing or malformed file): one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A command that cannot do its job (a service refuses the request or something is missing): one line naming it, exit code 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);

/// <summary>A service the command needs does not answer: one line naming it, exit code 3 (as a host that cannot reach one).</summary>
public sealed class UnreachableException(string message) : Exception(message);

/// <summary>A service refuses the command's login (user and password, key): one line naming the login, exit code 4.</summary>
public sealed class LoginRefusedException(string message) : Exception(message);

/// <summary>
/// What a command was given, as the commands read it: the verbs below the command and its arguments in order
/// (<see cref="Positional"/>), "--name value" options and flags. Made from a System.CommandLine parse (<see cref="From"/>),
/// or from words (<see cref="Parse"/>, every "--name" taking a value) where code calls a command directly.
/// </summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _named = [];
    private readonly HashSet<string> _flags = [];

    public List<string> Positional { get; } = [];

    /// <summary>--json, for the commands that take it.</summary>
    public bool Json => Flag("json");

    public static Options Parse(IEnumerable<string> args)
    {
        var options = new Options();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            if (e.Current.StartsWith("--", StringComparison.Ordinal))
            {
                var name = e.Current[2..];
                options._named[name] = e.MoveNext() ? e.Current : throw new UsageException($"--{name} needs a value");
            }
            else
            {
                options.Positional.Add(e.Current);
            }
        }
        return options;
    }

    /// <summary>The parsed command: the verbs below the top-level command ("list" of `rtd config list`), then its arguments.</summary>
    public static Options From(ParseResult parse)
    {
        var options = new Options();
        for (var result = parse.CommandResult; result.Parent is CommandResult parent && parent.Parent is not null; result = parent)
        {
            options.Positional.Insert(0, result.Command.Name);
        }
        foreach (var argument in parse.CommandResult.Command.Arguments)
        {
            options.Positional.AddRange(parse.GetResult(argument)?.Tokens.Select(t => t.Value) ?? []);
        }
        foreach (var given in parse.CommandResult.Children.OfType<OptionResult>().Where(o => !o.Implicit))
        {
            var name = given.Option.Name.TrimStart('-');
            if (given.Option is Option<bool> flag)
            {
                if (parse.GetValue(flag))
                {
                    options._flags.Add(name);
                }
            }
            else if (given.Tokens.Count > 0)
            {
                options._named[name] = given.Tokens[^1].Value;
            }
        }
        return options;
    }

    public string? this[string name] => _named.GetValueOrDefault(name);

    public bool Flag(string name) => _flags.Contains(name);

    public TimeSpan? Duration(string name)
    {
        var raw = this[name];
        if (raw is null)
        {
            return null;
        }
        var unit = raw[^1];
        if (double.TryParse(raw[..^1], System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (unit)
            {
                case 's':
                    return TimeSpan.FromSeconds(n);
                case 'm':
                    return TimeSpan.FromMinutes(n);
                case 'h':
                    return TimeSpan.FromHours(n);
            }
        }
        throw new UsageException($"--{name} is '{raw}': use a number and a unit, such as 30s, 5m or 1h");
    }
}
