using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tools;

/// <summary>
/// An HttpClient for the central admin API that sends the key (X-Api-Key) from <c>RTD_ADMIN_KEY</c>, or the one given.
/// Without a key, reads and edits get 401 and the command says which variable to set.
/// </summary>
public static class AdminApiClient
{
    /// <summary>The key infra/env.sh and `rtd-lab demo` use when RTD_ADMIN_KEY is not set: for the local demo only.</summary>
    public const string LocalDemoKey = DemoSecrets.AdminKey;

    /// <summary>RTD_ADMIN_KEY, or the local demo's key.</summary>
    public static string KeyOrLocalDemo() => Environment.GetEnvironmentVariable(AdminApiKey.EnvironmentVariable) is { Length: > 0 } key ? key : LocalDemoKey;

    /// <summary>The center's settings (environment form) that accept <paramref name="key"/> as the editor key <paramref name="name"/>.</summary>
    public static Dictionary<string, string> CenterSettings(string name, string key) => new()
    {
        [$"Admin__Keys__{name}__Hash"] = AdminApiKey.HashOf(key),
        [$"Admin__Keys__{name}__Role"] = "editor",
    };

    public static HttpClient Create(Uri baseAddress, TimeSpan? timeout = null, string? key = null)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(100) };
        if ((key ?? Environment.GetEnvironmentVariable(AdminApiKey.EnvironmentVariable)) is { Length: > 0 } value)
        {
            http.DefaultRequestHeaders.Add(AdminApiKey.Header, value);
        }
        return http;
    }

    /// <summary>The hint for a 401/403 answer.</summary>
    public static string Hint(System.Net.HttpStatusCode status) => status switch
    {
        System.Net.HttpStatusCode.Unauthorized => $" (set {AdminApiKey.EnvironmentVariable} to an admin API key)",
        System.Net.HttpStatusCode.Forbidden => $" (the key in {AdminApiKey.EnvironmentVariable} may only read)",
        _ => "",
    };
}
