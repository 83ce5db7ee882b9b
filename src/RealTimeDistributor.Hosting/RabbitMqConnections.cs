using RabbitMQ.Client;

namespace RealTimeDistributor.Hosting;

public static class RabbitMqConnections
{
    public static ConnectionFactory Factory(RabbitMqSettings settings, string virtualHost, string clientName) => new()
    {
        HostName = settings.Host,
        Port = settings.Port,
        UserName = settings.Username,
        Password = settings.Password,
        VirtualHost = virtualHost,
        ClientProvidedName = clientName,
        RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        AutomaticRecoveryEnabled = false,
        Ssl = Ssl(settings),
    };

    private static SslOption Ssl(RabbitMqSettings settings)
    {
        var ssl = new SslOption { Enabled = settings.UseTls, ServerName = settings.Host };
        if (settings.CaCertificate is { } ca)
        {
            ssl.CertificateValidationCallback = TlsTrust.Validator(TlsTrust.LoadCa(ca, $"{settings.ConfigurationSection}:CaCertificate"));
        }
        return ssl;
    }
}
