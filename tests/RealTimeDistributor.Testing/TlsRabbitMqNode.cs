namespace RealTimeDistributor.Testing;

/// <summary>
/// A second RabbitMQ node of this test's own (the shared node is left alone): AMQP over TLS only, on free ports, with
/// the certificate of <see cref="TlsCertificates"/>, its data, logs and configuration in a temporary directory, no
/// plugins. Started with `rabbitmq-server -detached` as the rabbitmq user and stopped with `rabbitmqctl stop`.
/// </summary>
public sealed class TlsRabbitMqNode : IAsyncDisposable
{
    public const string VirtualHost = "rtd-tls-central";
    public const string User = "rtd-tls";

    private readonly string _directory;
    private readonly string _node;

    private TlsRabbitMqNode(string directory, string node, int port, TlsCertificates certificates)
    {
        _directory = directory;
        _node = node;
        Port = port;
        Certificates = certificates;
    }

    public int Port { get; }

    public string Password { get; } = Guid.NewGuid().ToString("N");

    public TlsCertificates Certificates { get; }

    public static async Task<TlsRabbitMqNode> StartAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var directory = Path.Combine(Path.GetTempPath(), $"rtd-tls-node-{id}");
        var certificates = TlsCertificates.Create(directory);
        var node = new TlsRabbitMqNode(directory, $"rtdtls{id}@localhost", CommandRuns.FreePort(), certificates);
        File.WriteAllText(Path.Combine(directory, "rabbitmq.conf"), $"""
            listeners.tcp = none
            listeners.ssl.default = {node.Port}
            ssl_options.cacertfile = {certificates.CaPath}
            ssl_options.certfile = {certificates.CertificatePath}
            ssl_options.keyfile = {certificates.KeyPath}
            ssl_options.verify = verify_none
            ssl_options.fail_if_no_peer_cert = false
            default_vhost = {VirtualHost}
            default_user = {User}
            default_pass = {node.Password}
            loopback_users = none
            """);
        File.WriteAllText(Path.Combine(directory, "enabled_plugins"), "[].");
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "mnesia"));
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "log"));
        await Programs.RunAsync("chown", ["-R", "rabbitmq:rabbitmq", directory]);
        await Programs.RunAsync("runuser", ["-u", "rabbitmq", "--", "/usr/lib/rabbitmq/bin/rabbitmq-server", "-detached"], new Dictionary<string, string>
        {
            ["HOME"] = RabbitMqHome,
            ["RABBITMQ_NODENAME"] = node._node,
            ["RABBITMQ_NODE_PORT"] = CommandRuns.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = CommandRuns.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq.conf"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
        });
        // the detached node registers with epmd a moment after the command returns; await_startup fails until it has
        await Eventually.Until(() => node.CtlAsync("await_startup", "--timeout", "30"), code => code == 0, $"RabbitMQ node {node._node} to start",
            TimeSpan.FromSeconds(120));
        return node;
    }

    /// <summary>The rabbitmq user's home: its Erlang cookie.</summary>
    private const string RabbitMqHome = "/var/lib/rabbitmq";

    private Task<int> CtlAsync(params string[] args) =>
        Programs.RunAsync("runuser", ["-u", "rabbitmq", "--", "/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", _node, .. args],
            new Dictionary<string, string> { ["HOME"] = RabbitMqHome }, check: false);

    public async ValueTask DisposeAsync()
    {
        await CtlAsync("stop");
        Directory.Delete(_directory, recursive: true);
    }
}
