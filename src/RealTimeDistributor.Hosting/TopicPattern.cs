namespace RealTimeDistributor.Hosting;

/// <summary>
/// RabbitMQ topic matching, so a snapshot holds exactly what the same binding keys would deliver from the stream:
/// words are separated by ".", "*" matches one word, "#" matches zero or more words.
/// </summary>
public static class TopicPattern
{
    public static bool Matches(string pattern, string routingKey) => Matches(pattern.Split('.'), 0, routingKey.Split('.'), 0);

    public static bool MatchesAny(IEnumerable<string> patterns, string routingKey) => patterns.Any(p => Matches(p, routingKey));

    /// <summary>True when the pattern receives every key of the table (e.g. "#", "skillgroup.*"), not only some keys.</summary>
    public static bool CoversTable(string pattern, string table) => Matches(pattern, $"{table}.\u0001any-key");

    /// <summary>True when the pattern can receive some key of the table, so the table is worth reading for a snapshot.</summary>
    public static bool CanMatchTable(string pattern, string table)
    {
        var first = pattern.Split('.')[0];
        return first is "#" or "*" || first == table;
    }

    private static bool Matches(string[] pattern, int p, string[] words, int w)
    {
        if (p == pattern.Length)
        {
            return w == words.Length;
        }
        if (pattern[p] == "#")
        {
            for (var skip = w; skip <= words.Length; skip++)
            {
                if (Matches(pattern, p + 1, words, skip))
                {
                    return true;
                }
            }
            return false;
        }
        return w < words.Length && (pattern[p] == "*" || pattern[p] == words[w]) && Matches(pattern, p + 1, words, w + 1);
    }
}
