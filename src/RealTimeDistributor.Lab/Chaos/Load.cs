using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Lab.Chaos;

/// <summary>
/// The seeded edit load: single edits through the admin API with the run's editor key (last writer wins), drawn from the
/// seed: agents (1..<see cref="Agents"/>, upserts and deletes), skill groups (1..<see cref="SkillGroups"/>) and call types
/// (1..5). The center starts with peripheral 1, <see cref="SkillGroups"/> skill groups, half the agents and five call
/// types, loaded in one batch.
/// </summary>
public sealed class EditLoad(HttpClient admin, int seed)
{
    public const int Agents = 200;
    public const int SkillGroups = 12;

    private readonly Random _random = new(seed);

    public long Accepted { get; private set; }

    public long Refused { get; private set; }

    public string? LastRefusal { get; private set; }

    /// <summary>Edits the center did not answer (it was down) or answered with an error; the last one's reason.</summary>
    public long Failed { get; private set; }

    public string? LastFailure { get; private set; }

    public static async Task SeedAsync(HttpClient admin, CancellationToken cancellationToken)
    {
        List<ConfigRow> rows =
        [
            new Peripheral { Id = 1, Name = "ACD 1" },
            .. Enumerable.Range(1, SkillGroups).Select(i => new SkillGroup { Id = i, Name = $"Skill group {i}", PeripheralId = 1 }),
            .. Enumerable.Range(1, Agents / 2).Select(i => new Agent { Id = i, Name = $"Agent {i}", PeripheralId = 1 }),
            .. Enumerable.Range(1, 5).Select(i => new CallType { Id = i, Name = $"Call type {i}" }),
        ];
        await Demo.LoadCenterAsync(admin, rows, cancellationToken);
    }

    /// <summary>One edit drawn from the seed; a refusal (404 for a row already deleted) is counted, not thrown.</summary>
    public async Task EditAsync(CancellationToken cancellationToken, string? onlyTable = null)
    {
        var draw = _random.Next(100);
        var table = onlyTable ?? (draw < 65 ? "agent" : draw < 90 ? "skillgroup" : "calltype");
        var id = _random.Next(1, table switch { "agent" => Agents, "skillgroup" => SkillGroups, _ => 5 } + 1);
        var revision = _random.Next(1000);
        object row = table switch
        {
            "agent" => new { name = $"Agent {id} r{revision}", peripheralId = 1 },
            "skillgroup" => new { name = $"Skill group {id} r{revision}", peripheralId = 1 },
            _ => new { name = $"Call type {id}", serviceLevelSeconds = 10 + (revision % 50) },
        };
        // names carry the id, so they stay unique per row
        using var request = table == "agent" && _random.Next(6) == 0
            ? new HttpRequestMessage(HttpMethod.Delete, "")
            : new HttpRequestMessage(HttpMethod.Put, "") { Content = JsonContent.Create(row) };
        request.RequestUri = new Uri($"/api/config/{table}/{id}?force=true", UriKind.Relative);
        try
        {
            using var response = await admin.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                Accepted++;
            }
            else if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict or HttpStatusCode.UnprocessableEntity)
            {
                Refused++;
                LastRefusal = $"{request.Method} {table} {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
            else
            {
                Failed++;
                LastFailure = $"{request.Method} {table} {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}";
            }
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Failed++; // the center is down (killed by the scenario): whether the edit committed, the center's database says
            LastFailure = $"{request.Method} {table} {id}: {exception.Message}";
        }
    }
}

/// <summary>
/// The run's real-time traffic: batches of agent and skill-group rows published to the central real-time exchange as the
/// central controller would (raw JSON, confirmed), each row with a version that only rises; it remembers the newest
/// version it published per (table, key) in <c>newest</c> (the system's, across runs), which is what every replica and view must end up holding.
/// A row counts as published once the broker confirmed it. A batch whose publish failed or was cut off may have reached
/// the broker all the same, so it is not forgotten: it is sent again with the next interval (and by <see cref="FlushAsync"/>
/// when the load stops) until it is confirmed; a row sent twice changes nothing (last value wins).
/// </summary>
public sealed class RealTimeLoad(BrokerEndpoint broker, string centralVirtualHost, ConcurrentDictionary<(string Table, string Key), long> newest, int seed)
    : IAsyncDisposable
{
    private readonly Random _random = new(seed);
    private readonly ConfirmingPublisher _publisher = new(
        new RabbitMqSettings(broker.Host, broker.Port, broker.User, broker.Password, false, TimeSpan.FromSeconds(10), centralVirtualHost),
        centralVirtualHost, "rtd chaos real-time", [Topology.Central.RealTimeExchange], NullLogger.Instance);
    private readonly List<RealTimeRowsPublished> _sent = [];
    private readonly List<RealTimeRowsPublished> _unconfirmed = [];
    private long _version = DateTimeOffset.UtcNow.UtcTicks;

    public long Rows { get; private set; }

    /// <summary>The last <paramref name="count"/> batches confirmed, as they went out, for a scenario that sends them again.</summary>
    public IReadOnlyList<RealTimeRowsPublished> LastSent(int count)
    {
        lock (_sent)
        {
            return [.. _sent.TakeLast(count)];
        }
    }

    /// <summary>One interval: a batch of 20 agents and one of 4 skill groups, drawn from the seed (and any batch not confirmed yet).</summary>
    public Task PublishAsync(CancellationToken cancellationToken)
    {
        _unconfirmed.AddRange(new[] { (Table: RealTimeTables.Agent, Keys: EditLoad.Agents, Count: 20), (Table: RealTimeTables.SkillGroup, Keys: EditLoad.SkillGroups, Count: 4) }
            .Select(t => new RealTimeRowsPublished(t.Table, false, DateTimeOffset.UtcNow, [.. Enumerable.Range(0, t.Count)
                .Select(_ => _random.Next(1, t.Keys + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)).Distinct()
                .Select(key => Row(key))])));
        return FlushAsync(cancellationToken);
    }

    /// <summary>Sends the batches not confirmed yet; once the broker confirmed them, their rows are what the system must hold.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_unconfirmed.Count == 0)
        {
            return;
        }
        await SendAsync(_unconfirmed, cancellationToken); // throws: they stay unconfirmed, and go again next time
        foreach (var batch in _unconfirmed)
        {
            foreach (var row in batch.Rows)
            {
                newest.AddOrUpdate((batch.Table, row.Key), row.Version, (_, held) => Math.Max(held, row.Version));
            }
            Rows += batch.Rows.Count;
        }
        lock (_sent)
        {
            _sent.AddRange(_unconfirmed);
        }
        _unconfirmed.Clear();
    }

    /// <summary>Publishes batches as they are (new ones, or ones sent before, replayed).</summary>
    public Task SendAsync(IReadOnlyList<RealTimeRowsPublished> batches, CancellationToken cancellationToken) =>
        _publisher.PublishAsync([.. batches.Select(b => new OutgoingMessage(Topology.Central.RealTimeExchange, Topology.Central.RealTimeRoutingKey(b.Table),
            Json.Serialize(b), Guid.NewGuid().ToString()))], cancellationToken);

    private RealTimeRow Row(string key)
    {
        var version = Interlocked.Increment(ref _version);
        return new RealTimeRow(key, version, DateTimeOffset.UtcNow, Json.ToElement(new { n = version }));
    }

    public ValueTask DisposeAsync() => _publisher.DisposeAsync();
}
