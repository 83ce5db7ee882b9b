using Microsoft.Extensions.Configuration;

namespace RealTimeDistributor.Hosting;

/// <summary>Reads and checks configuration values, failing with the key's name when one is missing or wrong.</summary>
public static class ConfigurationReader
{
    public static string Required(this IConfiguration configuration, string key)
    {
        var value = configuration[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidConfigurationException(key, "is required but not set.");
        }
        return value;
    }

    public static string RequiredIdentifier(this IConfiguration configuration, string key)
    {
        var value = configuration.Required(key);
        if (!Identifiers.IsValid(value))
        {
            throw new InvalidConfigurationException(key, $"is '{value}': it must be {Identifiers.Rule}.");
        }
        return value;
    }

    public static int Int(this IConfiguration configuration, string key, int fallback, int min, int max)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        if (!int.TryParse(raw, out var value) || value < min || value > max)
        {
            throw new InvalidConfigurationException(key, $"is '{raw}': it must be a whole number from {min} to {max}.");
        }
        return value;
    }

    public static TimeSpan Duration(this IConfiguration configuration, string key, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        if (!TimeSpan.TryParse(raw, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new InvalidConfigurationException(key, $"is '{raw}': it must be a duration (hh:mm:ss.fff) from {min} to {max}.");
        }
        return value;
    }

    public static bool Bool(this IConfiguration configuration, string key, bool fallback)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw))
        {
            return fallback;
        }
        if (!bool.TryParse(raw, out var value))
        {
            throw new InvalidConfigurationException(key, $"is '{raw}': it must be true or false.");
        }
        return value;
    }
}
