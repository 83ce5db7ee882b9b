using System.Security.Cryptography;
using System.Text;

namespace RealTimeDistributor.Hosting;

/// <summary>What the admin API and its callers share: the header a key travels in, and how a key is hashed for the center's configuration.</summary>
public static class AdminApiKey
{
    /// <summary>The request header that carries the key.</summary>
    public const string Header = "X-Api-Key";

    /// <summary>The environment variable `rtd config` (and the demo) read the key from.</summary>
    public const string EnvironmentVariable = "RTD_ADMIN_KEY";

    /// <summary>The SHA-256 of a key's UTF-8 bytes.</summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The hex SHA-256 of a key, as <c>Admin:Keys:&lt;name&gt;:Hash</c> takes it (<c>printf %s KEY | sha256sum</c>).</summary>
    public static string HashOf(string key) => Convert.ToHexStringLower(Hash(key));
}
