using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>
/// `rtd-lab feed record FILE [--duration 1h]`: every peripheral event on the activity exchange, one JSON line each, until Ctrl-C.
/// `rtd-lab feed replay FILE [--speed 10x]`: sends a recorded file again as a new session per peripheral (each beginning with a
/// resync, sequences from 1), its times moved so that the file ends now and each event is sent no earlier than its
/// (moved) time: at 10x a file of an hour takes six minutes and the center computes the same windows from it.
/// </summary>
internal static class FeedCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        return options.Positional switch
        {
            ["record", var file] => await RecordAsync(file, options.Duration("duration"), stop.Token),
            ["replay", var file] => await ReplayAsync(file, Speed(options["speed"]), stop.Token),
            _ => throw new UsageException("feed takes record FILE [--duration 1h] | replay FILE [--speed 10x]"),
        };
    }

    private static async Task<int> RecordAsync(string file, TimeSpan? duration, CancellationToken stop)
    {
        var broker = SimulateCommand.Broker();
        await using var connection = await RabbitMqConnections.Factory(broker, broker.CentralVirtualHost, "rtd feed record").CreateConnectionAsync(stop);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stop);
        await BrokerDefinitions.EnsureExchangesAsync(connection, [Topology.Activity.DeclaredExchange], stop);
        var queue = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: stop)).QueueName;
        await channel.QueueBindAsync(queue, Topology.Activity.Exchange, Topology.Activity.AllPeripherals, cancellationToken: stop);
        await using var output = new StreamWriter(file, append: false);
        var count = 0;
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await output.WriteLineAsync(System.Text.Encoding.UTF8.GetString(delivery.Body.Span));
            count++;
        };
        await channel.BasicConsumeAsync(queue, autoAck: true, consumer, stop);
        Console.Error.WriteLine($"rtd-lab feed: recording the activity of {broker.CentralVirtualHost} to {file}; Ctrl-C stops");
        try
        {
            await Task.Delay(duration ?? Timeout.InfiniteTimeSpan, stop);
        }
        catch (OperationCanceledException)
        {
        }
        await channel.CloseAsync(CancellationToken.None);
        Console.Error.WriteLine($"rtd-lab feed: {count} events recorded");
        return 0;
    }

    private static async Task<int> ReplayAsync(string file, double speed, CancellationToken stop)
    {
        var recorded = File.ReadLines(file).Select((line, i) => (Line: line, Number: i + 1)).Where(l => l.Line.Trim().Length > 0)
            .Select(l => Event(file, l.Number, l.Line)).ToList();
        var plan = Replay.Plan(recorded, DateTimeOffset.UtcNow, speed, $"replay-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}");
        var broker = SimulateCommand.Broker();
        await using var publisher = new ConfirmingPublisher(broker, broker.CentralVirtualHost, "rtd feed replay", [Topology.Activity.Exchange], NullLogger.Instance);
        foreach (var (sendAt, e) in plan)
        {
            var wait = sendAt - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, stop);
            }
            await publisher.PublishAsync([PeripheralGateway.ToMessage(e)], stop);
        }
        Console.Error.WriteLine($"rtd-lab feed: replayed {plan.Count} events of {file} at {speed.ToString(CultureInfo.InvariantCulture)}x");
        return 0;
    }

    private static PeripheralEvent Event(string file, int number, string line)
    {
        try
        {
            return JsonSerializer.Deserialize<PeripheralEvent>(line, Json.Options) ?? throw new UsageException($"{file} line {number}: null, not a peripheral event");
        }
        catch (JsonException exception)
        {
            throw new UsageException($"{file} line {number}: not a peripheral event as `rtd-lab feed record` writes them ({exception.Message})");
        }
    }

    private static double Speed(string? raw) =>
        raw is null ? 1
        : double.TryParse(raw.TrimEnd('x', 'X'), CultureInfo.InvariantCulture, out var speed) && speed >= 1 ? speed
        : throw new UsageException($"--speed is '{raw}': use a factor of 1 or more, such as 10x");
}
