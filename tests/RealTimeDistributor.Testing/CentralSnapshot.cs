using Microsoft.Extensions.Logging.Abstractions;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Config;
using RealTimeDistributor.Distributor.RealTime;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Snapshots;

namespace RealTimeDistributor.Testing;

/// <summary>Asks a system's central controller for a snapshot over the broker, as a distributor does (the same requests), as site "test".</summary>
public static class CentralSnapshot
{
    public const string Site = "test";

    public static Task<Snapshot<ConfigSnapshotRow>> ConfigAsync(RtdSystem system, TimeSpan timeout) =>
        ConfigResync.RequestAsync(Broker(system), Site, "test", "a test asks", timeout, NullLogger.Instance, CancellationToken.None);

    public static Task<Snapshot<RealTimeSnapshotRow>> RealTimeAsync(RtdSystem system, IReadOnlyList<string> tables, TimeSpan timeout) =>
        RealTimeSnapshotLoader.RequestAsync(Broker(system), Site, "test", tables, timeout, NullLogger.Instance, CancellationToken.None);

    private static RabbitMqSettings Broker(RtdSystem system) => new(TestSettings.RabbitHost, TestSettings.RabbitPort, TestSettings.RabbitUser,
        TestSettings.RabbitPassword, false, TimeSpan.FromSeconds(10), system.CentralVirtualHost);
}
