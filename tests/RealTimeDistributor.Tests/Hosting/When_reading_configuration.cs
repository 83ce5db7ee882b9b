using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

public sealed class When_reading_configuration
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Fact]
    public void Should_name_a_missing_key_and_its_environment_variable()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => Config().Required("Distributor:Site"));
        Assert.Equal("Distributor:Site", error.Key);
        Assert.Contains("Distributor__Site", error.Message);
    }

    [Fact]
    public void Should_refuse_an_out_of_range_number_with_its_bounds()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => Config(("RabbitMq:Port", "70000")).Int("RabbitMq:Port", 5672, 1, 65535));
        Assert.Contains("'RabbitMq:Port'", error.Message);
        Assert.Contains("65535", error.Message);
    }

    [Fact]
    public void Should_keep_the_real_time_queue_quorum_unless_told_classic()
    {
        Assert.True(DistributorSettings.From(Config(("Distributor:Site", "site-a"))).QuorumRealTimeQueue);
        Assert.False(DistributorSettings.From(Config(("Distributor:Site", "site-a"), ("Distributor:QuorumRealTimeQueue", "false"))).QuorumRealTimeQueue);
        var error = Assert.Throws<InvalidConfigurationException>(() =>
            DistributorSettings.From(Config(("Distributor:Site", "site-a"), ("Distributor:QuorumRealTimeQueue", "classic"))));
        Assert.Equal("Distributor:QuorumRealTimeQueue", error.Key);
    }

    [Fact]
    public void Should_read_the_broker_settings_with_defaults()
    {
        var settings = RabbitMqSettings.From(Config(("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p")));
        Assert.Equal(5672, settings.Port);
        Assert.Equal(Topology.Central.VirtualHost, settings.CentralVirtualHost);
        Assert.Equal("amqp://h:5672/rtd-central", settings.Endpoint(settings.CentralVirtualHost));
    }

    [Fact]
    public void Should_read_a_cluster_host_list_with_a_port_per_node_or_the_default()
    {
        var settings = RabbitMqSettings.From(Config(("RabbitMq:Hosts", "a:5701, b ,c:5703"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p")));
        Assert.Equal([new BrokerNode("a", 5701), new BrokerNode("b", 5672), new BrokerNode("c", 5703)], settings.Nodes);
        Assert.Equal("a", settings.Host);
        Assert.Equal("amqp://{a:5701,b:5672,c:5703}/v", settings.Endpoint("v"));
        Assert.StartsWith("RabbitMq:Hosts", settings.Keys);
        var single = RabbitMqSettings.From(Config(("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p")));
        Assert.Equal([new BrokerNode("h", 5672)], single.Nodes);
    }

    [Theory]
    [InlineData("a:0")]
    [InlineData("a:99999")]
    [InlineData("a:x")]
    [InlineData(":5672")]
    public void Should_refuse_a_host_list_node_that_is_not_host_or_host_and_port(string hosts)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() =>
            RabbitMqSettings.From(Config(("RabbitMq:Hosts", hosts), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p"))));
        Assert.Equal("RabbitMq:Hosts", error.Key);
        Assert.Contains($"'{hosts}' is not", error.Message);
    }

    [Fact]
    public void Should_default_to_the_tls_port_when_tls_is_on()
    {
        var settings = RabbitMqSettings.From(Config(("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p"), ("RabbitMq:UseTls", "true")));
        Assert.Equal(5671, settings.Port);
        Assert.StartsWith("amqps://", settings.Endpoint("v"));
    }

    [Fact]
    public void Should_refuse_a_seq_url_that_is_not_a_url()
    {
        var error = Assert.Throws<InvalidConfigurationException>(() =>
            ServiceDefaults.Configure(new Serilog.LoggerConfiguration(), Config(("Seq:ServerUrl", "not a url")), "test", "site-a"));
        Assert.Equal("Seq:ServerUrl", error.Key);
    }

    [Fact]
    public void Should_refuse_a_ca_certificate_without_tls_or_that_cannot_be_read()
    {
        var withoutTls = Assert.Throws<InvalidConfigurationException>(() => RabbitMqSettings.From(Config(("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"),
            ("RabbitMq:Password", "p"), ("RabbitMq:CaCertificate", "/etc/rtd/ca.pem"))));
        Assert.Equal("RabbitMq:CaCertificate", withoutTls.Key);
        Assert.Contains("RabbitMq:UseTls is false", withoutTls.Message);
        var missing = Assert.Throws<InvalidConfigurationException>(() => RabbitMqSettings.From(Config(("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"),
            ("RabbitMq:Password", "p"), ("RabbitMq:UseTls", "true"), ("RabbitMq:CaCertificate", "/nonexistent/ca.pem"))));
        Assert.Equal("RabbitMq:CaCertificate", missing.Key);
        Assert.Contains("cannot read a PEM certificate", missing.Message);
    }

    [Fact]
    public void Should_default_the_management_api_to_the_broker_host_and_refuse_an_address_that_is_not_http()
    {
        (string, string)[] login = [("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p")];
        Assert.Equal(new Uri("http://h:15672/"), RabbitMqSettings.From(Config(login)).ManagementUrl);
        Assert.Equal(new Uri("https://m:15671/"), RabbitMqSettings.From(Config([.. login, ("RabbitMq:ManagementUrl", "https://m:15671")])).ManagementUrl);
        var error = Assert.Throws<InvalidConfigurationException>(() => RabbitMqSettings.From(Config([.. login, ("RabbitMq:ManagementUrl", "amqp://m")])));
        Assert.Equal("RabbitMq:ManagementUrl", error.Key);
    }
}
