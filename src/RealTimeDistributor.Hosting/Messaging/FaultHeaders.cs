using System.Globalization;
using System.Text;
using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>
/// The headers MassTransit's error transport puts on a message it parks in "{queue}_error" (MT-Reason, MT-Fault-*,
/// MT-Host-*): the raw consumers write the same ones, so `rtd errors` reads every error queue alike and a replay strips them.
/// </summary>
public static class FaultHeaders
{
    public const string Reason = "MT-Reason";
    public const string Message = "MT-Fault-Message";
    public const string ExceptionType = "MT-Fault-ExceptionType";
    public const string StackTrace = "MT-Fault-StackTrace";
    public const string Timestamp = "MT-Fault-Timestamp";
    public const string MachineName = "MT-Host-MachineName";

    /// <summary>The original properties and headers, persistent, with the fault's reason (a null stack trace writes none).</summary>
    public static BasicProperties Write(IReadOnlyBasicProperties original, string reason, string exceptionType, string? stackTrace, DateTimeOffset at)
    {
        var headers = new Dictionary<string, object?>(original.Headers ?? new Dictionary<string, object?>())
        {
            [Reason] = "fault",
            [Message] = reason,
            [ExceptionType] = exceptionType,
            [Timestamp] = at.ToString("O"),
            [MachineName] = Environment.MachineName,
        };
        if (stackTrace is not null)
        {
            headers[StackTrace] = stackTrace;
        }
        return new BasicProperties(original) { Persistent = true, Headers = headers };
    }

    /// <summary>A header as text (the broker hands strings back as bytes), else null.</summary>
    public static string? Read(IReadOnlyBasicProperties properties, string name) => properties.Headers?.TryGetValue(name, out var value) == true
        ? value switch
        {
            byte[] bytes => Encoding.UTF8.GetString(bytes),
            null => null,
            _ => Convert.ToString(value, CultureInfo.InvariantCulture),
        }
        : null;

    /// <summary>Why the message was parked: MT-Fault-Message, else MT-Reason.</summary>
    public static string ReadReason(IReadOnlyBasicProperties properties) =>
        Read(properties, Message) ?? Read(properties, Reason) ?? $"- (no {Message} header)";

    /// <summary>The original properties and headers, persistent, without the ones added when the message was parked.</summary>
    public static BasicProperties Remove(IReadOnlyBasicProperties parked)
    {
        var properties = new BasicProperties(parked) { Persistent = true };
        if (parked.Headers is { } headers)
        {
            properties.Headers = headers.Where(h => !IsFaultHeader(h.Key)).ToDictionary(h => h.Key, h => h.Value);
        }
        return properties;
    }

    private static bool IsFaultHeader(string name) =>
        name.StartsWith("MT-Fault-", StringComparison.Ordinal) || name.StartsWith("MT-Host-", StringComparison.Ordinal) || name == Reason;
}
