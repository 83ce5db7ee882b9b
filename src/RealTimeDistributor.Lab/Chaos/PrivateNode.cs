using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>
/// A private RabbitMQ node of a chaos run (infra/rabbitmq/node.sh: own name, ports and data), so a scenario can restart
/// a broker without touching the shared one. The node is started with every inherited file descriptor above 2 closed
/// (<see cref="Repository.ScriptAsync"/>): a daemon must not keep a lock its starter holds (a test run under flock).
/// </summary>
public sealed class PrivateNode(string name, int port) : IAsyncDisposable
{
    public string Name => name;

    public BrokerEndpoint Endpoint => BrokerEndpoint.PrivateNode(port);

    /// <summary>The node a private endpoint belongs to (its name is derived from its port).</summary>
    public static PrivateNode Of(BrokerEndpoint endpoint) => new(NameOf(endpoint.Port), endpoint.Port);

    private static string NameOf(int port) => $"rtd-chaos-{port}";

    /// <summary>Starts a node on a free port from 5700 up (its management port + 10000 and distribution port + 20000 free too).</summary>
    public static async Task<PrivateNode> StartAsync()
    {
        var port = Enumerable.Range(5700, 200).First(p => Free(p) && Free(p + 10000) && Free(p + 20000));
        var node = new PrivateNode(NameOf(port), port);
        await node.RunAsync("start", port.ToString(CultureInfo.InvariantCulture));
        return node;
    }

    private static bool Free(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>node.sh COMMAND NAME ARGS, failing with its output when it fails.</summary>
    public Task RunAsync(string command, params string[] args) => Repository.ScriptAsync("infra/rabbitmq/node.sh", [command, name, .. args]);

    /// <summary>Stops the node and deletes its data.</summary>
    public async ValueTask DisposeAsync() => await RunAsync("reset");
}
