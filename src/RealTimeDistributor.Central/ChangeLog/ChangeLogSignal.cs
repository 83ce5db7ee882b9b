using System.Threading.Channels;

namespace RealTimeDistributor.Central.ChangeLog;

/// <summary>
/// Told of every configuration commit of this process: it wakes the relay at once, so publishing does not wait for the
/// next poll, and moves <see cref="Version"/>, which the statistics feed reads to know the configuration changed.
/// </summary>
public sealed class ChangeLogSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _version;

    /// <summary>Goes up by one at each committed configuration transaction of this process.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void Notify()
    {
        Interlocked.Increment(ref _version);
        _channel.Writer.TryWrite(true);
    }

    /// <summary>
    /// The relay published changes (perhaps committed by another center instance, whose commits this one is not told of):
    /// moves <see cref="Version"/>, so the statistics feed rereads the configuration.
    /// </summary>
    public void Relayed() => Interlocked.Increment(ref _version);

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(timer.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }
}
