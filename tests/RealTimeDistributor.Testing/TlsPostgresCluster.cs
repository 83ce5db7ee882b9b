namespace RealTimeDistributor.Testing;

/// <summary>
/// A private PostgreSQL 15 cluster of this test's own (the shared cluster is left alone): initdb as the postgres user into a
/// temporary directory, TCP on 127.0.0.1 and a free port with TLS required (hostnossl rejected), the certificate of
/// <see cref="TlsCertificates"/>, and a login role <see cref="User"/> with CREATEDB. Stopped with pg_ctl and removed.
/// </summary>
public sealed class TlsPostgresCluster : IAsyncDisposable
{
    public const string User = "rtd_tls";
    private const string Bin = "/usr/lib/postgresql/15/bin";

    private readonly string _directory;

    private TlsPostgresCluster(string directory, int port, TlsCertificates certificates)
    {
        _directory = directory;
        Port = port;
        Certificates = certificates;
    }

    public int Port { get; }

    public string Password { get; } = Guid.NewGuid().ToString("N");

    public TlsCertificates Certificates { get; }

    private string Data => Path.Combine(_directory, "data");

    public static async Task<TlsPostgresCluster> StartAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"rtd-tls-pg-{Guid.NewGuid().ToString("N")[..8]}");
        var cluster = new TlsPostgresCluster(directory, CommandRuns.FreePort(), TlsCertificates.Create(directory));
        await Programs.RunAsync("chown", ["-R", "postgres:postgres", directory]);
        await Programs.RunAsync("chmod", ["600", cluster.Certificates.KeyPath]); // PostgreSQL refuses a key others can read
        await AsPostgresAsync($"{Bin}/initdb", "-D", cluster.Data, "-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256", "-E", "UTF8");
        File.AppendAllText(Path.Combine(cluster.Data, "postgresql.conf"), $"""

            listen_addresses = '127.0.0.1'
            port = {cluster.Port}
            unix_socket_directories = '{directory}'
            ssl = on
            ssl_cert_file = '{cluster.Certificates.CertificatePath}'
            ssl_key_file = '{cluster.Certificates.KeyPath}'
            """);
        File.WriteAllText(Path.Combine(cluster.Data, "pg_hba.conf"), """
            local     all  all                peer
            hostssl   all  all  127.0.0.1/32  scram-sha-256
            hostnossl all  all  127.0.0.1/32  reject
            """);
        await AsPostgresAsync($"{Bin}/pg_ctl", "-D", cluster.Data, "-l", Path.Combine(directory, "postgres.log"), "-w", "-t", "60", "start");
        await AsPostgresAsync($"{Bin}/psql", "-h", directory, "-p", cluster.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-X",
            "-v", "ON_ERROR_STOP=1", "-c", $"CREATE ROLE {User} LOGIN CREATEDB PASSWORD '{cluster.Password}'");
        return cluster;
    }

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username={User};Password={Password};Pooling=false;Timeout=5";

    private static Task AsPostgresAsync(string file, params string[] args) => Programs.RunAsync("runuser", ["-u", "postgres", "--", file, .. args]);

    public async ValueTask DisposeAsync()
    {
        await AsPostgresAsync($"{Bin}/pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");
        Directory.Delete(_directory, recursive: true);
    }
}
