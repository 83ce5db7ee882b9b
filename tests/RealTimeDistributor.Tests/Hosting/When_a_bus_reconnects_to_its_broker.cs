using MassTransit;
using MassTransit.Middleware;
using MassTransit.RabbitMqTransport.Configuration;
using Microsoft.Extensions.Configuration;
using RabbitMQ.Client.Exceptions;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

public sealed class When_a_bus_reconnects_to_its_broker
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(
            new[] { ("RabbitMq:Host", "h"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p") }.Concat(values)
                .Select(v => new KeyValuePair<string, string?>(v.Item1, v.Item2))).Build();

    /// <summary>The reconnect policy a bus set up the product's way (<see cref="MassTransitDefaults.UseRtdBroker"/>) really waits with.</summary>
    private static IRetryPolicy BusPolicy(RabbitMqSettings settings)
    {
        var bus = new RabbitMqBusConfiguration(new RabbitMqTopologyConfiguration(RabbitMqBusFactory.CreateMessageTopology()));
        new RabbitMqBusFactoryConfigurator(bus).UseRtdBroker(settings, "rtd-site-a", "rtd site-a client ws1", "rtd.site-a.client.ws1");
        return bus.HostConfiguration.ReceiveTransportRetryPolicy;
    }

    private sealed class Transport() : BasePipeContext(CancellationToken.None);

    /// <summary>The waits before the first <paramref name="attempts"/> attempts after one lost connection.</summary>
    private static List<TimeSpan> Waits(IRetryPolicy policy, int attempts)
    {
        using var context = policy.CreatePolicyContext(new Transport());
        var lost = new RabbitMqConnectionException("Broker unreachable: rtd site-a");
        Assert.True(context.CanRetry(lost, out var retry));
        var waits = new List<TimeSpan> { retry.Delay!.Value };
        for (var i = 1; i < attempts; i++)
        {
            Assert.True(retry.CanRetry(lost, out retry));
            waits.Add(retry.Delay!.Value);
        }
        return waits;
    }

    [Fact]
    public void Should_wait_jittered_doubling_waits_up_to_the_maximum()
    {
        var policy = BusPolicy(RabbitMqSettings.From(Config()));
        var runs = Enumerable.Range(0, 200).Select(_ => Waits(policy, 6)).ToList();
        double[] nominal = [500, 1_000, 2_000, 4_000, 4_000, 4_000];
        for (var attempt = 0; attempt < nominal.Length; attempt++)
        {
            var waits = runs.Select(r => r[attempt].TotalMilliseconds).ToList();
            Assert.All(waits, w => Assert.InRange(w, nominal[attempt] / 2, nominal[attempt]));
            // jittered: 200 clients cut off together spread over the upper half of the wait, not one instant
            Assert.True(waits.Max() - waits.Min() > nominal[attempt] / 4, $"attempt {attempt + 1}: waits {waits.Min()}-{waits.Max()} ms");
            Assert.True(waits.Distinct().Count() > 150, $"attempt {attempt + 1}: {waits.Distinct().Count()} distinct waits of 200");
        }
    }

    [Fact]
    public void Should_take_the_waits_from_configuration_and_keep_masstransits_choice_of_what_to_retry()
    {
        var policy = BusPolicy(RabbitMqSettings.From(Config(("RabbitMq:ReconnectDelay", "00:00:00.2"), ("RabbitMq:ReconnectMaxDelay", "00:00:01"))));
        Assert.All(Waits(policy, 4).Zip([200.0, 400, 800, 1_000]), p => Assert.InRange(p.First.TotalMilliseconds, p.Second / 2, p.Second));
        Assert.True(policy.IsHandled(new RabbitMqConnectionException("Connect failed")));
        Assert.False(policy.IsHandled(new AuthenticationFailureException("ACCESS_REFUSED")));
    }

    [Fact]
    public void Should_keep_masstransits_own_policy_when_told()
    {
        var policy = BusPolicy(RabbitMqSettings.From(Config(("RabbitMq:ReconnectPolicy", "masstransit"))));
        Assert.IsNotType<BrokerReconnect.Policy>(policy);
        Assert.IsType<BrokerReconnect.Policy>(BusPolicy(RabbitMqSettings.From(Config())));
    }

    [Theory]
    [InlineData("RabbitMq:ReconnectDelay", "soon", "RabbitMq:ReconnectDelay")]
    [InlineData("RabbitMq:ReconnectDelay", "00:00:00", "RabbitMq:ReconnectDelay")]
    [InlineData("RabbitMq:ReconnectMaxDelay", "01:00:00", "RabbitMq:ReconnectMaxDelay")]
    [InlineData("RabbitMq:ReconnectMaxDelay", "00:00:00.3", "RabbitMq:ReconnectMaxDelay")] // below the default first delay, 0.5 s
    [InlineData("RabbitMq:ReconnectPolicy", "fast", "RabbitMq:ReconnectPolicy")]
    public void Should_refuse_a_bad_value_naming_its_key(string key, string value, string named)
    {
        var error = Assert.Throws<InvalidConfigurationException>(() => RabbitMqSettings.From(Config((key, value))));
        Assert.Equal(named, error.Key);
    }

    [Fact]
    public void Should_read_a_site_brokers_keys_from_its_own_section()
    {
        var configuration = Config(("SiteRabbitMq:Host", "s"), ("SiteRabbitMq:Username", "u"), ("SiteRabbitMq:Password", "p"), ("SiteRabbitMq:ReconnectMaxDelay", "00:00:02"));
        var site = RabbitMqSettings.From(configuration, RabbitMqSettings.SiteSection);
        Assert.Equal(TimeSpan.FromSeconds(2), site.Reconnect.MaxDelay);
        Assert.Equal(BrokerReconnect.Default, RabbitMqSettings.From(configuration).Reconnect);
    }
}
