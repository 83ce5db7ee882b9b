using RealTimeDistributor.Client.View;

namespace RealTimeDistributor.Testing;

public static class ClientViewExtensions
{
    /// <summary>
    /// Stalls the view's consumer on the row <paramref name="key"/> (the view raises Changed on the consumer's thread):
    /// runs <paramref name="publish"/>, waits until the consumer blocks on that row, and returns what lets it go on (it
    /// goes on by itself after 60 s).
    /// </summary>
    public static async Task<Action> StallOnAsync(this ClientView view, string key, Func<Task> publish)
    {
        var release = new ManualResetEventSlim();
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        view.Changed += row =>
        {
            if (row.Key == key)
            {
                stalled.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(60));
            }
        };
        await publish();
        await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return release.Set;
    }

    /// <summary>Waits on the view's Changed and Loaded signals until the row matches, or fails after the timeout.</summary>
    public static async Task<ViewRow> WaitForAsync(this ClientView view, string kind, string table, string key, Func<ViewRow, bool> match,
        TimeSpan? timeout = null)
    {
        var found = new TaskCompletionSource<ViewRow>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(ViewRow row)
        {
            if (row.Kind == kind && row.Table == table && row.Key == key && match(row))
            {
                found.TrySetResult(row);
            }
        }
        void OnLoaded(long _)
        {
            if (view.Find(kind, table, key) is { } loaded && match(loaded))
            {
                found.TrySetResult(loaded);
            }
        }
        view.Changed += OnChanged;
        view.Loaded += OnLoaded;
        try
        {
            if (view.Find(kind, table, key) is { } existing && match(existing))
            {
                return existing;
            }
            return await found.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The client view never showed the expected {kind} {table} {key}; it holds {view.Find(kind, table, key)}");
        }
        finally
        {
            view.Changed -= OnChanged;
            view.Loaded -= OnLoaded;
        }
    }

    /// <summary>Waits on the Loaded signal until the view has loaded its n-th snapshot.</summary>
    public static async Task WaitForSnapshotsAsync(this ClientView view, long count, TimeSpan? timeout = null)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLoaded(long _)
        {
            if (view.Snapshots >= count)
            {
                done.TrySetResult();
            }
        }
        view.Loaded += OnLoaded;
        try
        {
            if (view.Snapshots < count)
            {
                await done.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
            }
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The client view loaded {view.Snapshots} snapshots, not {count}");
        }
        finally
        {
            view.Loaded -= OnLoaded;
        }
    }
}
