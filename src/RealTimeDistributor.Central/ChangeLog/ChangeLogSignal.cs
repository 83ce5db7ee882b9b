using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>
/// Told of every configuration commit of this process: it wakes the relay at once, so publishing does not wait for the
/// next poll, and moves <see cref="Version"/>, which the statistics feed reads to know the configuration changed.
/// </summary>
public sealed class ChangeLogSignal
{
    private readonly WakeSignal _wake = new();
    private long _version;

    /// <summary>Goes up by one at each committed configuration transaction of this process.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Notify()
    {
        Interlocked.Increment(ref _version);
        _wake.Wake();
    }

    /// <summary>
    /// The relay published changes (perhaps committed by another center instance, whose commits this one is not told of):
    /// moves <see cref="Version"/>, so the statistics feed rereads the configuration.
    /// </summary>
    public void Relayed() => Interlocked.Increment(ref _version);

    public Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) => _wake.WaitAsync(timeout, cancellationToken);
}
