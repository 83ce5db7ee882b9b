using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// A host's start-up order as one list of named steps, each one hosted service. The generic host starts its hosted
/// services one after the other in the order they are registered (each BackgroundService watched by the host) and stops
/// them in the reverse; <see cref="AddTo"/> registers the steps in the list's order, after what was registered before it
/// (the preflight of <see cref="RtdHost.AddRtdDefaults"/>). MassTransit registers its own hosted service inside
/// <c>AddMassTransit</c>, one for the host however many buses it has (it starts every bus: central and site together);
/// the list gives it a place of its own (<see cref="ThenBuses"/>), and <see cref="AddTo"/> moves it there. A test
/// compares the built host's hosted services with the documented order (When_a_distributor_starts).
/// </summary>
public sealed class StartupSequence
{
    private readonly List<(string Name, ServiceDescriptor? Service)> _steps = []; // no service: MassTransit's

    /// <summary>The steps' names, in order.</summary>
    public IReadOnlyList<string> Steps => [.. _steps.Select(s => s.Name)];

    /// <summary>Work that must finish before the next step starts (<see cref="StartupTask"/>).</summary>
    public StartupSequence Then(string name, Func<IServiceProvider, CancellationToken, Task> work) =>
        Add(name, ServiceDescriptor.Singleton<IHostedService>(sp => new StartupTask(work, sp)));

    public StartupSequence Then<T>(string name, Func<IServiceProvider, T> service) where T : class, IHostedService =>
        Add(name, ServiceDescriptor.Singleton<IHostedService, T>(service));

    public StartupSequence Then<T>(string name) where T : class, IHostedService =>
        Add(name, ServiceDescriptor.Singleton<IHostedService, T>());

    /// <summary>MassTransit's hosted service, which starts every bus of the host (register the buses before <see cref="AddTo"/>).</summary>
    public StartupSequence ThenBuses(string name) => Add(name, null);

    /// <summary>Registers the steps in order; call after every <c>AddMassTransit</c> of the host.</summary>
    public void AddTo(IServiceCollection services)
    {
        ServiceDescriptor? buses = null;
        if (_steps.Any(s => s.Service is null))
        {
            var registered = services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(MassTransitHostedService)).ToList();
            buses = registered.Count == 1 ? registered[0]
                : throw new InvalidOperationException($"The start-up sequence places MassTransit's hosted service: {registered.Count} registered, 1 expected (call AddMassTransit before).");
            services.Remove(buses);
        }
        foreach (var (_, service) in _steps)
        {
            services.Add(service ?? buses!);
        }
    }

    private StartupSequence Add(string name, ServiceDescriptor? service)
    {
        _steps.Add((name, service));
        return this;
    }
}
