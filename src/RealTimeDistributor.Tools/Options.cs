namespace RealTimeDistributor.Tools;

/// <summary>A command called wrong: the message and the usage, exit code 64.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A command that cannot do its job (a service refuses or is missing): one line naming it, exit code 1.</summary>
public class CommandFailedException(string message) : Exception(message);

/// <summary>A service the command needs does not answer: one line naming it, exit code 3 (as a host that cannot reach one).</summary>
public sealed class UnreachableException(string message) : Exception(message);

/// <summary>"--name value" pairs and positional words.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string> _named = [];

    public List<string> Positional { get; } = [];

    /// <summary>--json, a flag without a value, when the verb takes it.</summary>
    public bool Json { get; private init; }

    public static Options Parse(IEnumerable<string> args, bool json = false)
    {
        var options = new Options { Json = json };
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

    public string? this[string name] => _named.GetValueOrDefault(name);

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
