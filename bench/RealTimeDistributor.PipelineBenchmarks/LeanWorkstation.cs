using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using static RealTimeDistributor.PipelineBenchmarks.FanoutBenchmark;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>How the lean workstations of a benchmark (<c>fanout</c>, <c>goal</c>) reach their site and time what they get.</summary>
/// <param name="VirtualHost">The site's virtual host on the node.</param>
/// <param name="Benchmark">In each workstation's connection name and queue (<c>{Benchmark}-000</c>).</param>
/// <param name="Stream">null: a durable queue per workstation with the product's arguments and bindings (<c>#</c>); else the
/// site's stream of that name, read with <c>x-stream-offset</c> (first <c>next</c>, after a reconnect its last offset + 1).</param>
/// <param name="TimeRows">true: each row timed from its <c>updatedAt</c> (its central interval time); false: each message
/// from its <c>publishedAt</c>, the rows skipped.</param>
internal sealed record LeanWorkstationOptions(string Site, string VirtualHost, string Benchmark, string? Stream, bool TimeRows);

/// <summary>A freshness sample: the site sequence of the message it came in and its age at arrival.</summary>
internal readonly record struct Sample(long SiteSequence, double Ms);

/// <summary>A benchmark's lean workstations (<see cref="LeanWorkstation"/>), figures summed or listed over them.</summary>
internal sealed class LeanWorkstations(FanoutNode node, LeanWorkstationOptions options) : IAsyncDisposable
{
    private readonly List<LeanWorkstation> _all = [];

    public IReadOnlyList<LeanWorkstation> All => _all;

    public int Count => _all.Count;

    /// <summary>Real-time rows the first workstation got: the site stream's changed rows (every workstation gets them all).</summary>
    public long Rows => _all.Count == 0 ? 0 : _all[0].Rows;

    public long Gaps => _all.Sum(w => w.Gaps);

    public int FreshCount => _all.Count(w => w.FreshAt is not null);

    /// <summary>Adds <paramref name="count"/> workstations, each on a connection of its own, as separate desktops would be.</summary>
    public async Task AddAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            var workstation = new LeanWorkstation(node, options, _all.Count);
            _all.Add(workstation);
            await workstation.ConnectAsync();
        }
    }

    public void Begin(DateTimeOffset from) => _all.ForEach(w => w.Begin(from));

    public List<Sample[]> End() => [.. _all.Select(w => w.End())];

    /// <summary>From now, each workstation is fresh at its first message that is <paramref name="fresh"/>.</summary>
    public void AwaitFresh(Func<SiteMessage, bool> fresh) => _all.ForEach(w => w.AwaitFresh(fresh));

    public List<double> FreshSeconds(DateTimeOffset up) => [.. _all.Where(w => w.FreshAt is not null).Select(w => (w.FreshAt!.Value - up).TotalSeconds)];

    public List<double> AttemptsSince(DateTimeOffset up) => [.. _all.SelectMany(w => w.Attempts).Where(a => a >= up).Select(a => (a - up).TotalSeconds)];

    public async ValueTask DisposeAsync()
    {
        foreach (var workstation in _all)
        {
            await workstation.DisposeAsync();
        }
    }
}

/// <summary>
/// A workstation as the broker sees it, without the client's view: a connection of its own and a lean consumer on its
/// queue or on the site's stream (<see cref="LeanWorkstationOptions.Stream"/>), prefetch 500, manual acks. It follows
/// each real-time table's chain (a message whose previous site sequence is not the last it holds of the table, or a
/// heartbeat whose chain head is above it, is a gap: the product would reload a snapshot) and times each message it has
/// not had (<see cref="LeanWorkstationOptions.TimeRows"/>). When its connection drops it reconnects with jittered
/// exponential backoff (<see cref="BrokerRestarts.ReconnectAsync"/>), declares and binds its queue again or resumes the
/// stream at its last offset + 1.
/// </summary>
internal sealed class LeanWorkstation(FanoutNode node, LeanWorkstationOptions options, int index) : IAsyncDisposable
{
    private readonly Dictionary<string, long> _held = [];
    private readonly List<Sample> _samples = [];
    private readonly List<DateTimeOffset> _attempts = [];
    private readonly Lock _lock = new();
    private IConnection? _connection;
    private Func<SiteMessage, bool> _fresh = _ => false;
    private long _offset = -1;
    private long _resumedFrom = -1;
    private long _last;
    private long _from = long.MaxValue;
    private volatile bool _stopped;

    public long Rows { get; private set; }

    public long Gaps { get; private set; }

    /// <summary>Whether its last connect resumed the stream at an offset (not at <c>next</c>).</summary>
    public bool Resumed { get; private set; }

    public DateTimeOffset? FreshAt { get; private set; }

    public IReadOnlyList<DateTimeOffset> Attempts
    {
        get
        {
            lock (_lock)
            {
                return [.. _attempts];
            }
        }
    }

    private string Queue => Topology.Site.ClientQueue(options.Site, $"{options.Benchmark}-{index:000}");

    public void Begin(DateTimeOffset from)
    {
        lock (_lock)
        {
            _samples.Clear();
            _from = from.UtcTicks;
        }
    }

    /// <summary>Stops timing; the samples since <see cref="Begin"/>.</summary>
    public Sample[] End()
    {
        lock (_lock)
        {
            _from = long.MaxValue;
            return [.. _samples];
        }
    }

    public void AwaitFresh(Func<SiteMessage, bool> fresh)
    {
        lock (_lock)
        {
            FreshAt = null;
            _fresh = fresh;
        }
    }

    /// <summary>Whether it holds a real-time message at or above <paramref name="siteSequence"/>.</summary>
    public bool Holds(long siteSequence)
    {
        lock (_lock)
        {
            return _last >= siteSequence;
        }
    }

    public async Task ConnectAsync()
    {
        lock (_lock)
        {
            _attempts.Add(DateTimeOffset.UtcNow);
        }
        var factory = node.Factory($"rtd bench {options.Benchmark} workstation {index:000}");
        factory.VirtualHost = options.VirtualHost;
        var connection = await factory.CreateConnectionAsync();
        try
        {
            var channel = await connection.CreateChannelAsync();
            await channel.BasicQosAsync(0, 500, false);
            var consumer = new AsyncEventingBasicConsumer(channel);
            consumer.ReceivedAsync += async (_, delivery) =>
            {
                Receive(delivery);
                await channel.BasicAckAsync(delivery.DeliveryTag, false);
            };
            if (options.Stream is null)
            {
                await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false,
                    new Dictionary<string, object?>(Topology.Site.ClientQueueArguments()));
                foreach (var binding in Topology.Site.ClientQueueBindings(options.Site, [Topology.AllKeys]))
                {
                    await channel.QueueBindAsync(Queue, binding.Source.Name, binding.RoutingKey);
                }
                await channel.BasicConsumeAsync(Queue, false, consumer);
            }
            else
            {
                var offset = Interlocked.Read(ref _offset);
                Resumed = offset >= 0;
                _resumedFrom = offset;
                await channel.BasicConsumeAsync(options.Stream, false, $"ws-{index}", false, false,
                    new Dictionary<string, object?> { ["x-stream-offset"] = offset >= 0 ? offset + 1 : "next" }, consumer);
            }
            connection.ConnectionShutdownAsync += (_, _) =>
            {
                if (!_stopped)
                {
                    _ = Task.Run(() => BrokerRestarts.ReconnectAsync(() => _stopped, ConnectAsync));
                }
                return Task.CompletedTask;
            };
            if (Interlocked.Exchange(ref _connection, connection) is { } previous)
            {
                _ = previous.DisposeAsync().AsTask();
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private void Receive(BasicDeliverEventArgs delivery)
    {
        var now = DateTimeOffset.UtcNow;
        var message = SiteMessage.Read(delivery.Body.Span, options.TimeRows);
        lock (_lock)
        {
            if (delivery.BasicProperties.Headers?.TryGetValue("x-stream-offset", out var offset) == true && offset is long at)
            {
                _offset = at;
            }
            if (FreshAt is null && _fresh(message))
            {
                FreshAt = now;
            }
            if (message.Kind == SiteUpdate.HeartbeatKind)
            {
                if (_held.TryGetValue(message.Table, out var head) && message.ChainHead > head)
                {
                    Gap(message, head, message.ChainHead);
                }
                return;
            }
            if (message.Kind != SiteUpdate.RealTimeKind)
            {
                return;
            }
            if (_held.TryGetValue(message.Table, out var held))
            {
                if (message.SiteSequence <= held)
                {
                    return; // a duplicate (a batch sent again after a lost confirm)
                }
                if (message.PreviousSiteSequence != held)
                {
                    Gap(message, held, message.PreviousSiteSequence);
                }
            }
            _held[message.Table] = message.SiteSequence;
            _last = Math.Max(_last, message.SiteSequence);
            Rows += message.Rows;
            if (message.UpdatedAt is { } rows)
            {
                foreach (var updatedAt in rows.Where(u => u.UtcTicks >= _from))
                {
                    _samples.Add(new(message.SiteSequence, (now - updatedAt).TotalMilliseconds));
                }
            }
            else if (message.PublishedAt.UtcTicks >= _from)
            {
                _samples.Add(new(message.SiteSequence, (now - message.PublishedAt).TotalMilliseconds));
            }
        }
    }

    /// <summary>A broken chain: counted; the workstation then holds what a snapshot would give it (the link's target).</summary>
    private void Gap(SiteMessage message, long held, long head)
    {
        if (Gaps++ == 0)
        {
            var stream = options.Stream is null ? "" : $" (stream offset {_offset}, resumed from {_resumedFrom})";
            Console.WriteLine($"  workstation {index}: gap in {message.Table}: held {held}, {message.Kind} {message.SiteSequence} links {head}{stream}");
        }
        _held[message.Table] = head;
    }

    /// <summary>Stops reconnecting, deletes its queue (a queue per workstation) and closes its connection.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopped = true;
        if (_connection is { } connection)
        {
            if (options.Stream is null && connection.IsOpen)
            {
                await using var channel = await connection.CreateChannelAsync();
                await channel.QueueDeleteAsync(Queue);
            }
            await connection.DisposeAsync();
        }
    }
}

/// <summary>
/// The fields of a site message a lean workstation reads: its chain links, its publishedAt, how many rows it has and,
/// when asked, each row's <c>updatedAt</c> (null otherwise: the rows are skipped).
/// </summary>
internal readonly record struct SiteMessage(string Kind, string Table, long SiteSequence, long PreviousSiteSequence, long ChainHead, DateTimeOffset PublishedAt,
    int Rows, List<DateTimeOffset>? UpdatedAt)
{
    public static SiteMessage Read(ReadOnlySpan<byte> body, bool rowTimes)
    {
        var reader = new Utf8JsonReader(body);
        var message = new SiteMessage("", "", 0, 0, 0, default, 0, rowTimes ? [] : null);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("rows"u8))
            {
                if (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
                {
                    var rows = 0;
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        rows++;
                        if (message.UpdatedAt is { } updatedAt)
                        {
                            updatedAt.Add(RowUpdatedAt(ref reader));
                        }
                        else
                        {
                            reader.Skip();
                        }
                    }
                    message = message with { Rows = rows };
                }
                continue;
            }
            var name = reader.GetString();
            reader.Read();
            message = name switch
            {
                "kind" => message with { Kind = reader.GetString()! },
                "table" => message with { Table = reader.GetString()! },
                "siteSequence" => message with { SiteSequence = reader.GetInt64() },
                "previousSiteSequence" => message with { PreviousSiteSequence = reader.GetInt64() },
                "chainHead" => message with { ChainHead = reader.GetInt64() },
                "publishedAt" => message with { PublishedAt = reader.GetDateTimeOffset() },
                _ => message,
            };
            reader.Skip();
        }
        return message;
    }

    /// <summary>One row object (the reader on its start): its updatedAt, the rest skipped; the reader left on its end.</summary>
    private static DateTimeOffset RowUpdatedAt(ref Utf8JsonReader reader)
    {
        var updatedAt = default(DateTimeOffset);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("updatedAt"u8))
            {
                reader.Read();
                updatedAt = reader.GetDateTimeOffset();
            }
            else
            {
                reader.Skip();
            }
        }
        return updatedAt;
    }
}
