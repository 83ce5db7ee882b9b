using MassTransit;
using Microsoft.Extensions.Hosting;

namespace RealTimeDistributor.Hosting.Messaging;

/// <summary>
/// A MassTransit receive endpoint attached only while this process holds a lease: once every service has started, it
/// connects the endpoint when the lease is first taken, stops it when the lease is lost (a single-active-consumer queue
/// then passes to the holder) and starts it again when the lease comes back.
/// </summary>
/// <typeparam name="THolding">What the lease's wait returns: the lease held, with a token cancelled when it is lost.</typeparam>
public abstract class LeaseGatedEndpoint<THolding>(IReceiveEndpointConnector connector, string queue, IHostApplicationLifetime lifetime) : BackgroundService
{
    /// <summary>Completes when this process holds the lease.</summary>
    protected abstract Task<THolding> WaitForLeaseAsync(CancellationToken cancellationToken);

    /// <summary>The token cancelled when <paramref name="holding"/> is lost.</summary>
    protected abstract CancellationToken LostOf(THolding holding);

    /// <summary>Sets the endpoint up (its queue, consumer and settings) when it is first connected.</summary>
    protected abstract void Configure(IRabbitMqReceiveEndpointConfigurator endpoint);

    /// <summary>The endpoint consumes under <paramref name="holding"/>.</summary>
    protected virtual void Attached(THolding holding)
    {
    }

    /// <summary>The lease was lost: the endpoint is stopped next.</summary>
    protected abstract void Detached();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        HostReceiveEndpointHandle? handle = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            var holding = await WaitForLeaseAsync(stoppingToken);
            if (handle is null)
            {
                handle = connector.ConnectReceiveEndpoint(queue, (_, e) => Configure((IRabbitMqReceiveEndpointConfigurator)e));
                await handle.Ready.WaitAsync(stoppingToken);
            }
            else
            {
                await handle.ReceiveEndpoint.Start(stoppingToken).Ready.WaitAsync(stoppingToken);
            }
            Attached(holding);
            try
            {
                await Task.Delay(Timeout.Infinite, LostOf(holding)).WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                Detached();
                await handle.ReceiveEndpoint.Stop(stoppingToken);
            }
        }
    }
}
