using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>
/// RabbitMq:UseTls against a second RabbitMQ node that accepts only TLS, with a certificate from a CA the test made: the
/// central controller (its MassTransit bus and its change-log relay's own connection) works when RabbitMq:CaCertificate
/// names that CA, and stops at start with a line naming the keys when it does not.
/// </summary>
public sealed class When_the_broker_requires_tls(ITestOutputHelper output)
    : PrivateServerTest<TlsRabbitMqNode>(TlsRabbitMqNode.StartAsync, output)
{
    [Fact]
    public async Task Should_publish_over_tls_when_trusting_the_ca_and_refuse_to_start_without_it()
    {
        var id = RtdSystem.NewId();
        var unreachable = await CentralRefusesToStartAsync(Settings(id, ca: null));
        Assert.Contains($"amqps://127.0.0.1:{Server.Port}/{TlsRabbitMqNode.VirtualHost}", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("RabbitMq:CaCertificate", unreachable.Message, StringComparison.Ordinal);
        Assert.Contains("The broker's TLS certificate is not trusted: set RabbitMq:CaCertificate", unreachable.Message, StringComparison.Ordinal);

        Rtd = await RtdSystem.StartAsync(Settings(id, Server.Certificates.CaPath), id);
        Assert.Equal(HttpStatusCode.OK, (await Rtd.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" })).StatusCode);
        await Eventually.Until(async () => (await Rtd.CentralApi.GetFromJsonAsync<JsonElement>("/api/sequence")).GetProperty("publishedThrough").GetInt64(),
            p => p == 1, "the change published over TLS, confirmed by the TLS-only node");
    }

    private Dictionary<string, string?> Settings(string id, string? ca) => new()
    {
        ["Urls"] = "http://127.0.0.1:0",
        ["RabbitMq:Host"] = "127.0.0.1",
        ["RabbitMq:Port"] = Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["RabbitMq:UseTls"] = "true",
        ["RabbitMq:CaCertificate"] = ca,
        ["RabbitMq:Username"] = TlsRabbitMqNode.User,
        ["RabbitMq:Password"] = Server.Password,
        ["RabbitMq:CentralVirtualHost"] = TlsRabbitMqNode.VirtualHost,
        ["RabbitMq:ConnectTimeout"] = "00:00:02",
        ["ConnectionStrings:Central"] = TestSettings.ConnectionString($"rtd_test_{id}_central"),
        ["RealTime:Simulate"] = "false",
    };
}
