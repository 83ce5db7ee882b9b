using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

public sealed class When_naming_the_topology
{
    [Fact]
    public void Should_name_site_process_and_flow_in_every_queue()
    {
        Assert.Equal("rtd.site-a.distributor.config", Topology.Central.DistributorConfigQueue("site-a"));
        Assert.Equal("rtd.site-a.distributor.realtime", Topology.Central.DistributorRealTimeQueue("site-a"));
        Assert.Equal("rtd.site-b.client.ws7", Topology.Site.ClientQueue("site-b", "ws7"));
    }

    [Fact]
    public void Should_give_each_site_its_own_vhost_and_exchanges()
    {
        Assert.Equal("rtd-site-a", Topology.Site.VirtualHost("site-a"));
        Assert.Equal(["rtd.site-a.config", "rtd.site-a.realtime"], Topology.Site.Exchanges("site-a"));
        Assert.NotEqual(Topology.Site.VirtualHost("site-a"), Topology.Site.VirtualHost("site-b"));
    }

    [Fact]
    public void Should_route_by_table_then_key_so_a_client_can_bind_one_table()
    {
        Assert.Equal("skillgroup.5001", Topology.Site.RoutingKey("skillgroup", "5001"));
        Assert.Equal("agent.upsert", Topology.Central.ConfigRoutingKey("agent", "upsert"));
    }

    [Theory]
    [InlineData(new[] { "#" }, new[] { "#" })]
    [InlineData(new[] { "agent.1001", "agent.1002", "skillgroup.*" }, new[] { "agent", "skillgroup" })]
    [InlineData(new[] { "*.10", "#.1001" }, new[] { "*", "#" })]
    [InlineData(new[] { "skillgroup.#" }, new[] { "skillgroup" })]
    public void Should_bind_each_real_time_table_a_pattern_can_reach(string[] patterns, string[] bindings)
    {
        Assert.Equal(bindings, Topology.Site.RealTimeBindings(patterns));
        // whatever the patterns match among "{table}.{key}", the real-time message of that table ("{table}") reaches the queue
        foreach (var table in RealTimeTables.All)
        {
            var wanted = patterns.Any(p => TopicPattern.CanMatchTable(p, table));
            Assert.Equal(wanted, bindings.Any(b => TopicPattern.Matches(b, Topology.Site.RealTimeRoutingKey(table))));
        }
    }

    [Fact]
    public void Should_name_snapshot_request_exchanges_apart_from_the_queues_they_feed()
    {
        Assert.Equal("rtd.central.realtime-snapshots", Topology.Central.RealTimeSnapshotQueue);
        Assert.Equal("rtd.central.realtime-snapshot-requests", Topology.Central.RealTimeSnapshotRequestExchange);
        Assert.NotEqual(Topology.Central.RealTimeSnapshotQueue, Topology.Central.RealTimeSnapshotRequestExchange);
        Assert.NotEqual(Topology.Central.ConfigSnapshotRequestExchange, Topology.Central.RealTimeSnapshotRequestExchange);
    }

    [Theory]
    [InlineData("rtd.site-a.client.ws7.snapshots", true)]
    [InlineData("rtd.site-a.client.ws7", false)] // the workstation's stream queue
    [InlineData("rtd.site-a.client..snapshots", false)]
    [InlineData("rtd.site-a.client.x.y.snapshots", false)]
    [InlineData("rtd.site-b.client.ws7.snapshots", false)]
    [InlineData("rtd.site-a.distributor.snapshots", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Should_answer_a_site_snapshot_only_on_a_workstation_snapshot_queue(string? replyTo, bool allowed) =>
        Assert.Equal(allowed, Topology.Site.IsClientSnapshotQueue("site-a", replyTo));

    [Theory]
    [InlineData("rtd.site-a.distributor.snapshot-replies-a-config", true)]
    [InlineData("rtd.site-a.distributor.snapshot-replies-", false)]
    [InlineData("rtd.site-a.distributor.config", false)] // the site's config stream
    [InlineData("rtd.site-a.distributor.snapshot-replies-a.x", false)]
    [InlineData("rtd.site-b.distributor.snapshot-replies-a-config", false)]
    [InlineData("rtd.central.config", false)]
    [InlineData("vm_RealTimeDistributor_bus_abc", false)]
    [InlineData(null, false)]
    public void Should_answer_a_central_snapshot_only_on_a_reply_queue_of_the_requesting_site(string? replyTo, bool allowed) =>
        Assert.Equal(allowed, Topology.Central.IsSnapshotReplyQueue("site-a", replyTo));

    [Theory]
    [InlineData("site-a", true)]
    [InlineData("a", true)]
    [InlineData("Site-A", false)]
    [InlineData("-a", false)]
    [InlineData("site a", false)]
    [InlineData("site.a", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Should_accept_only_ids_that_are_safe_in_names(string? id, bool valid) => Assert.Equal(valid, Identifiers.IsValid(id));

    [Theory]
    [InlineData("rtd.site-a.distributor.config_error", "rtd.site-a.distributor.config")]
    [InlineData("rtd.site-a.client.ws1_skipped", "rtd.site-a.client.ws1")]
    [InlineData("rtd.site-a.distributor.config", null)]
    [InlineData("_error", "")]
    public void Should_find_the_queue_a_parked_message_came_from(string parked, string? original)
    {
        Assert.Equal(original, Topology.OriginalQueue(parked));
        Assert.Equal(original is not null, Topology.IsParkingQueue(parked));
    }

    [Fact]
    public void Should_name_the_distributor_instance_in_its_connection_so_the_active_one_is_visible()
    {
        Assert.Equal("rtd site-a distributor b", Topology.Central.DistributorConnectionName("site-a", "b"));
        Assert.Equal("b", Topology.Central.DistributorInstanceOf("site-a", "rtd site-a distributor b"));
        Assert.Null(Topology.Central.DistributorInstanceOf("site-b", "rtd site-a distributor b"));
        Assert.Null(Topology.Central.DistributorInstanceOf("site-a", "127.0.0.1:50818 -> 127.0.0.1:5672"));
    }
}
