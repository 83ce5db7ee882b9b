using System.Net;

namespace RealTimeDistributor.Testing;

/// <summary>The request loop of a test's stand-in HTTP endpoint (Seq, an OTLP receiver).</summary>
public static class HttpListenerLoop
{
    /// <summary>Hands each request to <paramref name="handle"/>, one at a time, until the listener stops or closes.</summary>
    public static async Task ServeAsync(HttpListener listener, Func<HttpListenerContext, Task> handle)
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            await handle(context);
        }
    }
}
