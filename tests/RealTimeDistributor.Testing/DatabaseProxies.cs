using System.Net;

namespace RealTimeDistributor.Testing;

/// <summary>
/// The <see cref="FaultProxy"/> in front of the tests' PostgreSQL server, which a test cuts and restores: a database
/// outage for one process, without stopping the server every other test and process shares.
/// </summary>
public static class DatabaseProxies
{
    public static FaultProxy ToPostgres()
    {
        var proxy = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.PostgresHost,
            int.Parse(TestSettings.PostgresPort, System.Globalization.CultureInfo.InvariantCulture));
        proxy.Start();
        return proxy;
    }

    /// <summary>A connection string to <paramref name="database"/> through this proxy (made by <see cref="ToPostgres"/>), quick to give up while it is cut.</summary>
    public static string ConnectionString(this FaultProxy proxy, string database) =>
        TestSettings.ConnectionString(database).Replace($"Port={TestSettings.PostgresPort}", $"Port={proxy.Port}", StringComparison.Ordinal)
        + ";Timeout=3;Command Timeout=5;Pooling=false";
}
