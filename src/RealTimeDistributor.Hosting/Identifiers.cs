using System.Text.RegularExpressions;

namespace RealTimeDistributor.Hosting;

/// <summary>Site and workstation ids end up in vhost, exchange and queue names: keep them to a safe alphabet.</summary>
public static partial class Identifiers
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$")]
    private static partial Regex Pattern();

    public const string Rule = "lower-case letters, digits and '-', 1 to 32 characters, starting with a letter or digit";

    public static bool IsValid(string? value) => value is not null && Pattern().IsMatch(value);
}
