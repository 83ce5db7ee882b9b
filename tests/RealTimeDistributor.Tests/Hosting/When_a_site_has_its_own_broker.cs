using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

/// <summary>Issue 14: a distributor's site broker (SiteRabbitMq:*) beside the central one, and the link state each reports.</summary>
public sealed class When_a_site_has_its_own_broker
{
    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static readonly (string, string)[] Central = [("RabbitMq:Host", "center"), ("RabbitMq:Username", "u"), ("RabbitMq:Password", "p")];

    [Fact]
    public void Should_read_the_site_broker_from_its_own_section_and_name_its_keys()
    {
        var configuration = Config([.. Central, ("SiteRabbitMq:Host", "site-b-broker"), ("SiteRabbitMq:Port", "5711"),
            ("SiteRabbitMq:Username", "su"), ("SiteRabbitMq:Password", "sp")]);
        var central = RabbitMqSettings.From(configuration);
        var site = RabbitMqSettings.SiteOrCentral(configuration, central);
        Assert.Equal(("site-b-broker", 5711, "su"), (site.Host, site.Port, site.Username));
        Assert.Equal("amqp://site-b-broker:5711/rtd-site-b", site.Endpoint("rtd-site-b"));
        Assert.Equal("SiteRabbitMq:Host, SiteRabbitMq:Port, SiteRabbitMq:Username, SiteRabbitMq:Password", site.Keys);
        Assert.Equal("RabbitMq:Host, RabbitMq:Port, RabbitMq:Username, RabbitMq:Password", central.Keys);
        var missing = Assert.Throws<InvalidConfigurationException>(() =>
            RabbitMqSettings.SiteOrCentral(Config([.. Central, ("SiteRabbitMq:Host", "h")]), central));
        Assert.Equal("SiteRabbitMq:Username", missing.Key);
    }

    [Fact]
    public void Should_use_the_one_broker_when_the_site_section_is_absent()
    {
        var configuration = Config(Central);
        var central = RabbitMqSettings.From(configuration);
        Assert.Same(central, RabbitMqSettings.SiteOrCentral(configuration, central));
    }

    [Fact]
    public void Should_report_a_lost_link_since_its_first_failure_until_it_is_reached_again()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var link = new BrokerLink("central-broker", "amqp://center:5672/rtd-central", clock);
        var changes = new List<DateTimeOffset?>();
        link.Changed += l => changes.Add(l.LostSince);
        link.Reached();
        Assert.Empty(changes);
        var lostAt = clock.GetUtcNow();
        link.Lost("connection refused");
        clock.Advance(TimeSpan.FromSeconds(30));
        link.Lost("connection reset");
        Assert.Equal(lostAt, link.LostSince);
        Assert.Equal("connection reset", link.Reason);
        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Unhealthy, link.Health().Status);
        Assert.Contains("unreachable since 2026-11-29T12:00:00", link.Health().Description, StringComparison.Ordinal);
        link.Reached();
        Assert.Null(link.LostSince);
        Assert.Equal([lostAt, null], changes);
    }

    private sealed class FakeTimeProvider(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
