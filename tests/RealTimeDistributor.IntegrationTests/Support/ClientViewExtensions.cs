using RealTimeDistributor.Client;

namespace RealTimeDistributor.IntegrationTests.Support;

public static class ClientViewExtensions
{
    /// <summary>Waits on the view's Changed signal until the row matches, or fails after the timeout.</summary>
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
        view.Changed += OnChanged;
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
        }
    }
}
