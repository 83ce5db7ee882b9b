namespace RealTimeDistributor.Hosting;

/// <summary>Bad configuration at start: names the key (and its environment-variable form) and what is wrong.</summary>
public sealed class InvalidConfigurationException(string key, string problem)
    : Exception($"Configuration key '{key}' (environment variable {EnvironmentName(key)}) {problem}")
{
    public string Key { get; } = key;

    public static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);
}
