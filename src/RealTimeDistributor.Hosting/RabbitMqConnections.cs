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

    /// <summary>A connection to one of the settings' nodes (a cluster's: the first that answers, in a shuffled order).</summary>
    public static Task<IConnection> ConnectAsync(RabbitMqSettings settings, string virtualHost, string clientName, CancellationToken cancellationToken) =>
        Factory(settings, virtualHost, clientName).CreateConnectionAsync([.. settings.Nodes.Select(n => new AmqpTcpEndpoint(n.Host, n.Port, Ssl(settings, n.Host)))], cancellationToken);

    private static SslOption Ssl(RabbitMqSettings settings) => Ssl(settings, settings.Host);

    private static SslOption Ssl(RabbitMqSettings settings, string serverName)
    {
        var ssl = new SslOption { Enabled = settings.UseTls, ServerName = serverName };
        if (settings.CaCertificate is { } ca)
        {
            ssl.CertificateValidationCallback = TlsTrust.Validator(TlsTrust.LoadCa(ca, $"{settings.ConfigurationSection}:CaCertificate"));
        }
        return ssl;
    }
}
