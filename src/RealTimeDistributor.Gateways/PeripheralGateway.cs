using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Hosting.Messaging;

namespace RealTimeDistributor.Gateways;

/// <summary>
/// The gateway end of the activity exchange, for one peripheral: numbers the events of its session (1, 2, 3, ...),
/// publishes them with publisher confirms to <see cref="Topology.Activity.Exchange"/> (routing key "peripheral.{id}"),
/// keeps the peripheral's state (agents logged on, calls in progress) to answer a resync, starts its session with one,
/// sends another whenever the center asks on the gateway's control queue, and a heartbeat when it had nothing to say for
/// <see cref="HeartbeatEvery"/>. <see cref="Sent"/> sees every event as it goes out (rtd-lab feed record, the tests).
/// </summary>
public sealed class PeripheralGateway(RabbitMqSettings broker, long peripheralId, ILogger logger) : IAsyncDisposable
{
    public static readonly TimeSpan HeartbeatEvery = TimeSpan.FromSeconds(5);

    private readonly ConfirmingPublisher _publisher = new(broker, broker.CentralVirtualHost, $"rtd gateway {peripheralId}",
        [Topology.Activity.Exchange], logger);
    private readonly Dictionary<long, PeripheralAgentState> _agents = [];
    private readonly Dictionary<long, PeripheralCall> _calls = [];
    private IConnection? _control;
    private long _sequence;
    private volatile bool _resyncAsked = true;
    private DateTimeOffset _lastSent = DateTimeOffset.MinValue;

    public long PeripheralId { get; } = peripheralId;

    /// <summary>This run of the gateway: a restarted gateway is a new session, which the center expects to begin with a resync.</summary>
    public string Session { get; } = $"{peripheralId}-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}-{Guid.NewGuid().ToString("N")[..6]}";

    public long Sequence => _sequence;

    /// <summary>Called with every event published (after the broker confirmed it).</summary>
    public Action<PeripheralEvent>? Sent { get; set; }

    /// <summary>Declares the gateway's control queue and listens for resync requests.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _control = await RabbitMqConnections.Factory(broker, broker.CentralVirtualHost, $"rtd gateway {PeripheralId} control").CreateConnectionAsync(cancellationToken);
        var channel = await _control.CreateChannelAsync(cancellationToken: cancellationToken);
        await QueueDeclarations.DeclareGatewayQueueAsync(_control, channel, PeripheralId, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, _) =>
        {
            logger.LogInformation("The center asked peripheral {Peripheral} for a resync", PeripheralId);
            _resyncAsked = true;
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(Topology.Activity.GatewayQueue(PeripheralId), autoAck: true, consumer, cancellationToken);
    }

    /// <summary>Publishes <paramref name="events"/> (a resync first if one is due; a heartbeat if there is nothing and one is due).</summary>
    public async Task PublishAsync(IEnumerable<ActivityEvent> events, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var outgoing = new List<PeripheralEvent>();
        var list = events.ToList();
        if (_resyncAsked)
        {
            // the state before these events, stamped no later than the first of them (a peripheral's event times never go back)
            _resyncAsked = false;
            var at = list.Count > 0 && list[0].At < now ? list[0].At : now;
            outgoing.Add(Next(PeripheralEventTypes.Resync, at) with { Agents = [.. _agents.Values], Calls = [.. _calls.Values] });
        }
        foreach (var activity in list)
        {
            outgoing.Add(Track(activity));
        }
        if (outgoing.Count == 0 && now - _lastSent >= HeartbeatEvery)
        {
            outgoing.Add(Next(PeripheralEventTypes.Heartbeat, now));
        }
        await PublishAsync(outgoing, cancellationToken);
        if (outgoing.Count > 0)
        {
            _lastSent = now;
        }
    }

    /// <summary>Publishes events as they are (a replay, a test that forges a sequence): the caller numbers them.</summary>
    public async Task PublishAsync(IReadOnlyList<PeripheralEvent> events, CancellationToken cancellationToken)
    {
        await _publisher.PublishAsync([.. events.Select(ToMessage)], cancellationToken);
        foreach (var e in events)
        {
            Sent?.Invoke(e);
        }
    }

    /// <summary>One event as it goes on the wire: the activity exchange, its peripheral's routing key, plain JSON.</summary>
    public static OutgoingMessage ToMessage(PeripheralEvent e) =>
        new(Topology.Activity.Exchange, Topology.Activity.RoutingKey(e.PeripheralId), Json.Serialize(e), $"{e.Session}-{e.Sequence}");

    private PeripheralEvent Next(string type, DateTimeOffset at) => new(PeripheralId, Session, ++_sequence, type, at);

    /// <summary>The wire form of an engine event, and the state it leaves.</summary>
    private PeripheralEvent Track(ActivityEvent activity)
    {
        switch (activity)
        {
            case AgentStateChanged a:
                if (a.State == AgentStates.LoggedOut)
                {
                    _agents.Remove(a.AgentId);
                }
                else
                {
                    _agents[a.AgentId] = new PeripheralAgentState(a.AgentId, a.State, a.ReasonCode, a.SkillGroupId, a.At);
                }
                return Next(PeripheralEventTypes.AgentState, a.At) with { AgentId = a.AgentId, State = a.State, ReasonCode = a.ReasonCode, SkillGroupId = a.SkillGroupId };
            case CallOffered o:
                _calls[o.CallId] = new PeripheralCall(o.CallId, o.CallTypeId, o.SkillGroupId, o.At, null);
                return Next(PeripheralEventTypes.CallOffered, o.At) with { CallId = o.CallId, CallTypeId = o.CallTypeId, SkillGroupId = o.SkillGroupId };
            case CallAnswered w:
                if (_calls.TryGetValue(w.CallId, out var call))
                {
                    _calls[w.CallId] = call with { AnsweredAt = w.At };
                }
                return Next(PeripheralEventTypes.CallAnswered, w.At) with { CallId = w.CallId, AgentId = w.AgentId };
            case CallAbandoned b:
                _calls.Remove(b.CallId);
                return Next(PeripheralEventTypes.CallAbandoned, b.At) with { CallId = b.CallId };
            case CallCompleted c:
                _calls.Remove(c.CallId);
                return Next(PeripheralEventTypes.CallCompleted, c.At) with { CallId = c.CallId };
            default:
                throw new ArgumentException($"A gateway does not send {activity.GetType().Name}.", nameof(activity));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_control is not null)
        {
            await _control.DisposeAsync();
        }
        await _publisher.DisposeAsync();
    }
}
