namespace RealTimeDistributor.Testing;

/// <summary>
/// Waits for a condition that has no signal to wait on (a row in a database another process writes), by polling it
/// with a deadline. Where a signal exists (the client view's Changed event), tests wait on the signal instead.
/// </summary>
public static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        T last;
        do
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"Timed out waiting for {what}; last value: {last}");
    }
}
