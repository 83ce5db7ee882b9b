namespace RealTimeDistributor.Testing;

/// <summary>
/// Where the real services are: environment variables (the names infra/env.sh exports), else the local defaults that
/// infra/services-up.sh sets up. Tests run with zero setup on a box where that script ran, and are redirectable in CI.
/// </summary>
public static class TestSettings
{
    /// <summary>A synchronized writer for a child process's output when RTD_TEST_PROCESS_LOGS names a folder, else null.</summary>
    public static TextWriter? ProcessLog(System.Diagnostics.Process process)
    {
        if (Environment.GetEnvironmentVariable("RTD_TEST_PROCESS_LOGS") is not { Length: > 0 } folder)
        {
            return null;
        }
        Directory.CreateDirectory(folder);
        var name = Path.GetFileNameWithoutExtension(process.StartInfo.ArgumentList.FirstOrDefault() ?? process.StartInfo.FileName);
        return TextWriter.Synchronized(new StreamWriter(Path.Combine(folder, $"{name}-{process.Id}.log")) { AutoFlush = true });
    }

    public static string RabbitHost => Env("RTD_RABBITMQ_HOST", "127.0.0.1");

    /// <summary>An AMQP connection factory for <paramref name="vhost"/> as the tests' broker user (all permissions).</summary>
    public static RabbitMQ.Client.ConnectionFactory RabbitConnection(string vhost) => new()
    {
        HostName = RabbitHost,
        Port = RabbitPort,
        UserName = RabbitUser,
        Password = RabbitPassword,
        VirtualHost = vhost,
    };

    /// <summary>Points a process that reads RTD_RABBITMQ_* (rtd, the foreign clients) at the tests' broker, as the tests' broker user.</summary>
    public static void SetBrokerEnvironment(System.Diagnostics.ProcessStartInfo start)
    {
        start.Environment["RTD_RABBITMQ_HOST"] = RabbitHost;
        start.Environment["RTD_RABBITMQ_PORT"] = RabbitPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RTD_RABBITMQ_USER"] = RabbitUser;
        start.Environment["RTD_RABBITMQ_PASSWORD"] = RabbitPassword;
        // rtd client connects as its workstation's own user unless told otherwise: here, the tests' user
        start.Environment["RTD_RABBITMQ_WORKSTATION_USER"] = RabbitUser;
        start.Environment["RTD_RABBITMQ_WORKSTATION_PASSWORD"] = RabbitPassword;
    }

    public static int RabbitPort => int.Parse(Env("RTD_RABBITMQ_PORT", "5672"), System.Globalization.CultureInfo.InvariantCulture);

    public static int RabbitManagementPort => int.Parse(Env("RTD_RABBITMQ_MANAGEMENT_PORT", "15672"), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The three-node central cluster of infra/rabbitmq/cluster.sh (RabbitMq:Hosts).</summary>
    public static string ClusterHosts => Env("RTD_RABBITMQ_CLUSTER_HOSTS", "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703");

    /// <summary>The cluster nodes' management ports, in <see cref="ClusterHosts"/> order (cluster.sh: AMQP port + 10000).</summary>
    public static int[] ClusterManagementPorts => [.. ClusterHosts.Split(',').Select(h => int.Parse(h[(h.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture) + 10000)];

    public static string RabbitUser => Env("RTD_RABBITMQ_USER", "rtd");

    public static string RabbitPassword => Env("RTD_RABBITMQ_PASSWORD", "local-demo-rtd");

    public static string RabbitAdminUser => Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin");

    public static string RabbitAdminPassword => Env("RTD_RABBITMQ_ADMIN_PASSWORD", "local-demo-admin");

    public static string PostgresHost => Env("RTD_POSTGRES_HOST", "127.0.0.1");

    public static string PostgresPort => Env("RTD_POSTGRES_PORT", "5432");

    public static string PostgresUser => Env("RTD_POSTGRES_USER", "rtd");

    public static string PostgresPassword => Env("RTD_POSTGRES_PASSWORD", "local-demo-rtd");

    public static string ConnectionString(string database) =>
        $"Host={PostgresHost};Port={PostgresPort};Database={database};Username={PostgresUser};Password={PostgresPassword}";

    private static string Env(string name, string fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
