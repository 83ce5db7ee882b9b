using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Central;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Support;

/// <summary>
/// The base of a test against a server of its own (a TLS-only RabbitMQ node, a TLS-only PostgreSQL cluster): started
/// before the test, and removed after it together with the system the test started on it (<see cref="Rtd"/>).
/// </summary>
public abstract class PrivateServerTest<TServer>(Func<Task<TServer>> start, ITestOutputHelper output) : IAsyncLifetime
    where TServer : IAsyncDisposable
{
    protected TServer Server { get; private set; } = default!;

    protected RtdSystem? Rtd { get; set; }

    public async Task InitializeAsync() => Server = await start();

    public async Task DisposeAsync()
    {
        if (Rtd is not null)
        {
            await Rtd.DisposeAsync();
        }
        await Server.DisposeAsync();
    }

    /// <summary>A central controller with <paramref name="settings"/> that stops at start: the reason it gives, written to the test's output.</summary>
    protected async Task<ServiceUnreachableException> CentralRefusesToStartAsync(Dictionary<string, string?> settings)
    {
        var refused = CentralHost.Build([], b => b.Configuration.AddInMemoryCollection(settings));
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => refused.StartAsync());
        await refused.DisposeAsync();
        var unreachable = Assert.IsType<ServiceUnreachableException>(failure is AggregateException a ? a.InnerException : failure);
        output.WriteLine(unreachable.Message);
        return unreachable;
    }
}
