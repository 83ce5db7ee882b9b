using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// Numbers PostgreSQL's numeric (the number type of jsonb) cannot hold. The replica stores a real-time row's data as json
/// (syntax only), so this check stands where the jsonb parse used to refuse them: a row with such a number is poison (the
/// error queue, with the reason), as it was, and every copy of the data (a snapshot cast to jsonb, a foreign client that
/// stores it) can still hold it. The bounds are numeric's (PostgreSQL 15, <c>numeric_in</c>): at most 131,072 digits before
/// the decimal point (a weight of 32,767 base-10,000 digits), at most 16,383 after it (the display scale, trailing zeros
/// included), and an exponent under 2^30 - 1 either way, even for zero.
/// </summary>
public static class JsonNumbers
{
    public const int MaxDigitsBeforePoint = 131_072;

    public const int MaxDigitsAfterPoint = 16_383;

    /// <summary>numeric_in refuses any exponent of this size or more (INT_MAX / 2), whatever the digits.</summary>
    public const long MaxExponent = int.MaxValue / 2;

    /// <summary>
    /// Why numeric cannot hold the JSON number <paramref name="number"/>; null when it can. Walked to by
    /// <see cref="TextRules.Check"/> (one walk checks text and numbers). The common number needs no parse: without an
    /// exponent, it has no more digits either side of the point than characters (read in place, nothing allocated).
    /// </summary>
    public static string? Check(JsonElement number, string path)
    {
        var raw = JsonMarshal.GetRawUtf8Value(number);
        return raw.Length <= MaxDigitsAfterPoint && raw.IndexOfAny((byte)'e', (byte)'E') < 0 ? null : Problem(number.GetRawText(), path);
    }

    /// <summary>Why numeric cannot hold the JSON number <paramref name="literal"/> (already valid JSON syntax); null when it can.</summary>
    public static string? Problem(string literal, string path)
    {
        var text = literal.AsSpan().TrimStart('-');
        var e = text.IndexOfAny('e', 'E');
        var mantissa = e < 0 ? text : text[..e];
        var point = mantissa.IndexOf('.');
        var integer = point < 0 ? mantissa : mantissa[..point];
        var fraction = point < 0 ? [] : mantissa[(point + 1)..];
        long exponent = 0;
        if (e >= 0)
        {
            var digits = text[(e + 1)..];
            var negative = digits.StartsWith("-");
            digits = digits.TrimStart("+-").TrimStart('0');
            exponent = digits.Length > 10 ? long.MaxValue : digits.IsEmpty ? 0 : long.Parse(digits, CultureInfo.InvariantCulture);
            if (exponent >= MaxExponent)
            {
                return Refusal(literal, path, string.Create(CultureInfo.InvariantCulture, $"its exponent is beyond ±{MaxExponent:N0}"));
            }
            exponent = negative ? -exponent : exponent;
        }
        if (fraction.Length - exponent > MaxDigitsAfterPoint)
        {
            return Refusal(literal, path, string.Create(CultureInfo.InvariantCulture, $"it has {fraction.Length - exponent:N0} digits after the decimal point, more than {MaxDigitsAfterPoint:N0}"));
        }
        // the decimal position of the first digit that is not zero: 0 for units, 1 for tens, -1 for tenths
        var first = integer.Length + fraction.Length;
        for (var i = 0; i < integer.Length + fraction.Length; i++)
        {
            if ((i < integer.Length ? integer[i] : fraction[i - integer.Length]) != '0')
            {
                first = i;
                break;
            }
        }
        var position = integer.Length - 1 - first + exponent;
        return first < integer.Length + fraction.Length && position >= MaxDigitsBeforePoint
            ? Refusal(literal, path, string.Create(CultureInfo.InvariantCulture, $"it has {position + 1:N0} digits before the decimal point, more than {MaxDigitsBeforePoint:N0}"))
            : null;
    }

    private static string Refusal(string literal, string path, string why) =>
        $"{path} is a number PostgreSQL cannot hold ({(literal.Length > 40 ? literal[..37] + "..." : literal)}): {why}.";
}
