using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RabbitMQ.Client.Exceptions;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>What the benchmarks that restart a broker (<c>fanout</c>, <c>goal</c>, <c>restart-clients</c>) share.</summary>
internal static class BrokerRestarts
{
    /// <summary>The moment the node at <paramref name="port"/> accepts a TCP connection again (polled every 50 ms, at most 5 minutes).</summary>
    public static async Task<DateTimeOffset> ListeningAsync(int port)
    {
        var polling = Stopwatch.StartNew();
        while (polling.Elapsed < TimeSpan.FromMinutes(5))
        {
            using var probe = new TcpClient();
            try
            {
                await probe.ConnectAsync(IPAddress.Loopback, port);
                return DateTimeOffset.UtcNow;
            }
            catch (SocketException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }
        }
        throw new TimeoutException($"the site node did not listen on port {port} within 5 minutes");
    }

    /// <summary>
    /// A lean workstation's reconnect, as the product's policy: a random wait of up to 0.5 s doubling to 4 s, then
    /// <paramref name="connect"/>, until it succeeds or <paramref name="stopped"/>.
    /// </summary>
    public static async Task ReconnectAsync(Func<bool> stopped, Func<Task> connect)
    {
        for (var attempt = 0; !stopped(); attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(Random.Shared.NextDouble() * Math.Min(4, 0.5 * (1 << Math.Min(attempt, 4)))));
            if (stopped())
            {
                return;
            }
            try
            {
                await connect();
                return;
            }
            catch (Exception exception) when (exception is RabbitMQClientException or IOException or OperationInterruptedException or TimeoutException)
            {
                // still down: back off and try again
            }
        }
    }
}
