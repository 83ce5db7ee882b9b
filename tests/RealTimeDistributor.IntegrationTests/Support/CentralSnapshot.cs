using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>Asks a system's central controller for a configuration snapshot over the broker, as a distributor does (same client).</summary>
public static class CentralSnapshot
{
    public static async Task<IReadOnlyList<ConfigSnapshotChunk>> RequestAsync(RtdSystem system, TimeSpan timeout)
    {
        var settings = new RabbitMqSettings(TestSettings.RabbitHost, TestSettings.RabbitPort, TestSettings.RabbitUser, TestSettings.RabbitPassword,
            false, TimeSpan.FromSeconds(10), system.CentralVirtualHost);
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.UseRtdBroker(settings, system.CentralVirtualHost, "rtd test snapshot requester"));
        await bus.StartAsync();
        try
        {
            return await new ConfigSnapshotClient(bus).RequestAsync("test", "a test asks", timeout, CancellationToken.None);
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
