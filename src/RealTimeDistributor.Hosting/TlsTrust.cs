using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Trust for a broker's TLS certificate signed by a private CA (RabbitMq:CaCertificate, a PEM file): the server's chain must
/// end at that CA, and its name must match RabbitMq:Host. Without the key the operating system's trust store decides.
/// </summary>
public static class TlsTrust
{
    /// <summary>The CA certificate in a PEM file; a missing or unreadable file names the key that set it.</summary>
    public static X509Certificate2 LoadCa(string path, string key)
    {
        try
        {
            return X509CertificateLoader.LoadCertificateFromFile(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new InvalidConfigurationException(key, $"is '{path}': cannot read a PEM certificate there ({exception.Message}).");
        }
    }

    public static RemoteCertificateValidationCallback Validator(X509Certificate2 ca) => (_, certificate, _, errors) =>
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    };
}
