using MassTransit;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>Asks a system's central controller for a configuration snapshot over the broker, as a distributor does.</summary>
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
            var snapshotId = NewId.NextGuid();
            var chunks = new List<ConfigSnapshotChunk>();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var handle = bus.ConnectHandler<ConfigSnapshotChunk>(context =>
            {
                if (context.Message.SnapshotId == snapshotId)
                {
                    // the bus endpoint hands chunks over concurrently: the last one can come before the others
                    lock (chunks)
                    {
                        chunks.Add(context.Message);
                        if (chunks.Find(c => c.Last) is { } last && chunks.Count == last.Index + 1)
                        {
                            done.TrySetResult();
                        }
                    }
                }
                return Task.CompletedTask;
            });
            var requests = await bus.GetSendEndpoint(new Uri($"exchange:{Topology.Central.ConfigSnapshotRequestExchange}"));
            await requests.Send(new ConfigSnapshotRequested("test", "a test asks", snapshotId), context => context.ResponseAddress = bus.Address);
            await done.Task.WaitAsync(timeout);
            handle.Disconnect();
            lock (chunks)
            {
                return [.. chunks.OrderBy(c => c.Index)];
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }
}
