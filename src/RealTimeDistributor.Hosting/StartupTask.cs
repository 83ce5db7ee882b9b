using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// Work that must finish before the rest of the host starts (preflight checks, migrations): hosted services start
/// in registration order, so a host registers these before MassTransit and its background services.
/// </summary>
public sealed class StartupTask(Func<IServiceProvider, CancellationToken, Task> work, IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => work(services, cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class StartupTaskExtensions
{
    public static IServiceCollection AddStartupTask(this IServiceCollection services, Func<IServiceProvider, CancellationToken, Task> work) =>
        services.AddSingleton<IHostedService>(sp => new StartupTask(work, sp));
}
