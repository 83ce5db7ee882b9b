using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Testing;

/// <summary>
/// Peripheral gateways in a test: the broker settings of the system, raw publishes to the activity exchange (as a gateway
/// in any language would, bad ones included), a gateway's control queue read by hand, and the statistics of a set of
/// events computed here, apart from the center's engine, to compare with what a client shows.
/// </summary>
public static class PeripheralFeed
{
    public static RabbitMqSettings BrokerSettings(this RtdSystem system) => new(TestSettings.RabbitHost, TestSettings.RabbitPort,
        TestSettings.RabbitUser, TestSettings.RabbitPassword, false, TimeSpan.FromSeconds(10), system.CentralVirtualHost);

    public static PeripheralGateway NewGateway(this RtdSystem system, long peripheral) =>
        new(system.BrokerSettings(), peripheral, NullLogger.Instance);

    /// <summary>Publishes raw bodies to the activity exchange with the routing key of <paramref name="peripheral"/>, confirmed.</summary>
    public static async Task PublishRawAsync(this RtdSystem system, long peripheral, params object[] bodies)
    {
        await using var publisher = new ConfirmingPublisher(system.BrokerSettings(), system.CentralVirtualHost, "rtd test gateway",
            [Topology.Activity.Exchange], NullLogger.Instance);
        await publisher.PublishAsync([.. bodies.Select(b => new OutgoingMessage(Topology.Activity.Exchange, Topology.Activity.RoutingKey(peripheral),
            b is string text ? System.Text.Encoding.UTF8.GetBytes(text) : Json.Serialize(b), Guid.NewGuid().ToString()))], CancellationToken.None);
    }

    /// <summary>Declares peripheral <paramref name="peripheral"/>'s control queue and collects the resync requests on it.</summary>
    public static async Task<(IConnection Connection, System.Collections.Concurrent.ConcurrentQueue<PeripheralResyncRequested> Requests)> ListenForResyncsAsync(
        this RtdSystem system, long peripheral)
    {
        var connection = await TestSettings.RabbitConnection(system.CentralVirtualHost).CreateConnectionAsync();
        var channel = await connection.CreateChannelAsync();
        await QueueDeclarations.DeclareGatewayQueueAsync(connection, channel, peripheral, CancellationToken.None);
        var requests = new System.Collections.Concurrent.ConcurrentQueue<PeripheralResyncRequested>();
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            requests.Enqueue(JsonSerializer.Deserialize<PeripheralResyncRequested>(delivery.Body.Span, Json.Options)!);
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(Topology.Activity.GatewayQueue(peripheral), autoAck: true, consumer);
        return (connection, requests);
    }

    /// <summary>The call columns of one window, computed from the events alone.</summary>
    public sealed record Expected(long Offered, long Answered, long Handled, long Abandoned, double? AverageSpeedOfAnswer, double? ServiceLevel);

    /// <summary>
    /// The window <paramref name="inWindow"/> of the calls <paramref name="counts"/> selects (by call type and skill group), from
    /// every peripheral's events, as the engine counts them (docs/statistics.md, "Measures"): offered, answered (its wait
    /// against its call type's threshold) and abandoned (only if not answered; not if sooner than the default 5 s short
    /// abandon) at the time of each event; handled when the answering agent next leaves wrap-up (at completion for a call
    /// without a known agent); the service level over the calls answered or abandoned within the threshold and those still
    /// waiting when it passed (before <paramref name="asOf"/>, a row's central update time: the engine computed it then;
    /// default now).
    /// </summary>
    public static Expected Compute(IEnumerable<PeripheralEvent> events, Func<long, long, bool> counts, Func<DateTimeOffset, bool> inWindow,
        Func<long, int> serviceLevelSeconds, DateTimeOffset? asOf = null)
    {
        var now = asOf ?? DateTimeOffset.UtcNow;
        var offers = new Dictionary<(long, long), PeripheralEvent>();
        var answered = new Dictionary<(long, long), DateTimeOffset>();
        var answeredBy = new Dictionary<(long, long), long?>();
        var wrapping = new Dictionary<(long, long), (long, long)>(); // (peripheral, agent) -> call completed, handled when wrap-up ends
        long offered = 0, answers = 0, handled = 0, abandoned = 0, inLevel = 0, levelOffered = 0;
        var wait = 0.0;
        foreach (var e in events.OrderBy(e => e.PeripheralId).ThenBy(e => e.Sequence))
        {
            var key = (e.PeripheralId, e.CallId ?? 0);
            var offer = offers.GetValueOrDefault(key);
            var mine = offer is not null && counts(offer.CallTypeId!.Value, offer.SkillGroupId!.Value);
            var threshold = offer is null ? TimeSpan.Zero : TimeSpan.FromSeconds(serviceLevelSeconds(offer.CallTypeId!.Value));
            switch (e.Type)
            {
                case PeripheralEventTypes.AgentState when e.State != AgentStates.WrapUp && wrapping.Remove((e.PeripheralId, e.AgentId ?? 0), out _):
                    handled += inWindow(e.At) ? 1 : 0;
                    break;
                case PeripheralEventTypes.CallOffered:
                    offers[key] = e;
                    offered += counts(e.CallTypeId!.Value, e.SkillGroupId!.Value) && inWindow(e.At) ? 1 : 0;
                    break;
                case PeripheralEventTypes.CallAnswered when mine && !answered.ContainsKey(key):
                    answered[key] = e.At;
                    answeredBy[key] = e.AgentId;
                    var seconds = Math.Max(0, (e.At - offer!.At).TotalSeconds);
                    if (inWindow(e.At))
                    {
                        (answers, wait) = (answers + 1, wait + seconds);
                        (inLevel, levelOffered) = seconds <= threshold.TotalSeconds ? (inLevel + 1, levelOffered + 1) : (inLevel, levelOffered);
                    }
                    levelOffered += seconds > threshold.TotalSeconds && inWindow(offer.At + threshold) ? 1 : 0;
                    break;
                case PeripheralEventTypes.CallAbandoned when mine && !answered.ContainsKey(key):
                    var waited = e.At - offer!.At;
                    abandoned += waited >= TimeSpan.FromSeconds(5) && inWindow(e.At) ? 1 : 0;
                    levelOffered += waited < TimeSpan.FromSeconds(5) ? 0
                        : waited <= threshold ? (inWindow(e.At) ? 1 : 0)
                        : (inWindow(offer.At + threshold) ? 1 : 0);
                    offers.Remove(key);
                    break;
                case PeripheralEventTypes.CallCompleted when mine && answered.ContainsKey(key):
                    if (answeredBy.GetValueOrDefault(key) is { } agent)
                    {
                        wrapping[(e.PeripheralId, agent)] = key;
                    }
                    else
                    {
                        handled += inWindow(e.At) ? 1 : 0;
                    }
                    offers.Remove(key);
                    answered.Remove(key);
                    break;
            }
        }
        // still waiting when the threshold passed
        levelOffered += offers.Where(o => !answered.ContainsKey(o.Key) && counts(o.Value.CallTypeId!.Value, o.Value.SkillGroupId!.Value))
            .Select(o => o.Value.At + TimeSpan.FromSeconds(serviceLevelSeconds(o.Value.CallTypeId!.Value)))
            .Count(passed => passed < now && inWindow(passed));
        return new Expected(offered, answers, handled, abandoned, answers == 0 ? null : Math.Round(wait / answers, 1),
            levelOffered == 0 ? null : Math.Round((double)inLevel / levelOffered, 4));
    }

    /// <summary>The same columns as a real-time row shows them for window <paramref name="window"/> (To5, Half, Today).</summary>
    public static Expected Shown(JsonElement row, string window) => new(
        row.GetProperty("callsOffered" + window).GetInt64(),
        row.GetProperty("callsAnswered" + window).GetInt64(),
        row.GetProperty("callsHandled" + window).GetInt64(),
        row.GetProperty("callsAbandoned" + window).GetInt64(),
        row.GetProperty("averageSpeedOfAnswer" + window) is { ValueKind: JsonValueKind.Number } asa ? asa.GetDouble() : null,
        row.GetProperty("serviceLevel" + window) is { ValueKind: JsonValueKind.Number } sl ? sl.GetDouble() : null);

    /// <summary>The three windows of a row published at <paramref name="at"/> (center time, local zone), as predicates on event times.</summary>
    public static IReadOnlyList<(string Name, Func<DateTimeOffset, bool> In)> Windows(DateTimeOffset at)
    {
        var local = TimeZoneInfo.ConvertTime(at, TimeZoneInfo.Local);
        var day = new DateTimeOffset(local.Date, local.Offset);
        var half = day.AddMinutes((local.Hour * 60) + (local.Minute < 30 ? 0 : 30));
        return
        [
            ("To5", t => t > at - CallWindows.RollingWindow),
            ("Half", t => t >= half),
            ("Today", t => t >= day),
        ];
    }
}
