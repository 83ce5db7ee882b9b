using System.Text.Json;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Text PostgreSQL refuses: NUL (U+0000, SQLSTATE 22021 in text and jsonb) and unpaired UTF-16 surrogates (no UTF-8
/// form). The admin API checks a request's JSON with it before anything is parsed into a row (a 400 naming the field);
/// the distributor checks every change and real-time row from the broker with it (the error queue, with the reason).
/// </summary>
public static class TextRules
{
    /// <summary>The first string (value or property name) in <paramref name="json"/> that cannot be stored, as a reason; null when all can.</summary>
    /// <param name="number">Checks each number on the same walk (a reason, or null when it is fine); none: numbers pass.</param>
    public static string? Check(JsonElement json, string path = "$", Func<JsonElement, string, string?>? number = null)
    {
        switch (json.ValueKind)
        {
            case JsonValueKind.Number:
                return number?.Invoke(json, path);
            case JsonValueKind.String:
                try
                {
                    return Problem(json.GetString()!, path);
                }
                catch (InvalidOperationException)
                {
                    return $"{path} is not valid Unicode text.";
                }
            case JsonValueKind.Object:
                foreach (var property in json.EnumerateObject())
                {
                    if ((Problem(property.Name, $"{path} (a property name)") ?? Check(property.Value, $"{path}.{property.Name}", number)) is { } problem)
                    {
                        return problem;
                    }
                }
                return null;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in json.EnumerateArray())
                {
                    if (Check(item, $"{path}[{i++}]", number) is { } problem)
                    {
                        return problem;
                    }
                }
                return null;
            default:
                return null;
        }
    }

    public static string? Problem(string text, string path)
    {
        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return $"{path} contains a NUL character (\\u0000), which text cannot hold.";
        }
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return $"{path} contains an unpaired UTF-16 surrogate (\\u{(int)text[i]:x4}), which is not valid Unicode text.";
            }
        }
        return null;
    }
}
