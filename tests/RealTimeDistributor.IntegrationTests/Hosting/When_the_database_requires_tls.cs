using System.Net;
using Npgsql;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>
/// TLS to PostgreSQL is the connection string's switch (SSL Mode=VerifyFull;Root Certificate=ca.pem): against a private
/// cluster that rejects plain connections, with a certificate from a CA the test made, the central controller migrates
/// and commits over TLS when it trusts that CA, and stops at start with a line naming the key when it does not.
/// </summary>
public sealed class When_the_database_requires_tls(ITestOutputHelper output)
    : PrivateServerTest<TlsPostgresCluster>(TlsPostgresCluster.StartAsync, output)
{
    [Fact]
    public async Task Should_commit_over_tls_when_trusting_the_ca_and_refuse_to_start_without_it()
    {
        var unreachable = await CentralRefusesToStartAsync(new()
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["RabbitMq:Host"] = TestSettings.RabbitHost,
            ["RabbitMq:Username"] = TestSettings.RabbitUser,
            ["RabbitMq:Password"] = TestSettings.RabbitPassword,
            ["RabbitMq:ConnectTimeout"] = "00:00:02",
            ["ConnectionStrings:Central"] = Server.ConnectionString("rtd_tls_central") + ";SSL Mode=VerifyFull",
        });
        Assert.Contains($"127.0.0.1:{Server.Port}/rtd_tls_central (set by ConnectionStrings:Central)", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("The database's TLS certificate is not trusted: add Root Certificate=", unreachable.Message, StringComparison.Ordinal);

        // plain connections are refused by the cluster (hostnossl reject): only TLS gets in
        var plain = await Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = new NpgsqlConnection(Server.ConnectionString("postgres") + ";SSL Mode=Disable");
            await connection.OpenAsync();
        });
        Assert.Contains("no encryption", plain.MessageText, StringComparison.Ordinal);

        var trusted = $"{Server.ConnectionString("rtd_tls_central")};SSL Mode=VerifyFull;Root Certificate={Server.Certificates.CaPath}";
        Rtd = await RtdSystem.StartAsync(new() { ["ConnectionStrings:Central"] = trusted });
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" })).StatusCode);
        await using var check = new NpgsqlConnection(trusted);
        await check.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM peripheral), (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid())", check);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal(1L, reader.GetInt64(0));
        Assert.True(reader.GetBoolean(1));
    }
}
