using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Activity;

/// <summary>
/// A source that cannot speak AMQP posts a peripheral's events to POST /api/activity (issue 16): a batch reaches a client's
/// rows (equal to what is computed here from the same events), a resend is dropped as duplicates, a gap is answered with
/// the resync it asks for; hostile batches get a 4xx with a reason and change nothing, not even the sequence; only a key of
/// role ingest for the batch's peripheral may post. As strict as the admin API (issue 24): a body not sent as JSON gets 415,
/// a NUL anywhere 400, a sequence far above the session's (or near 2^63, where the next one overflows) is refused without
/// taking its place, and the session's next genuine event applies.
/// </summary>
public sealed class When_a_source_posts_activity_over_http : ActivityTest
{
    private readonly string _gatewayKey = Guid.NewGuid().ToString("N");
    private readonly string _unknownPeripheralKey = Guid.NewGuid().ToString("N");
    private readonly DateTimeOffset _at = DateTimeOffset.UtcNow.AddSeconds(-60);

    protected override Dictionary<string, string?> CentralSettings => new(base.CentralSettings)
    {
        ["Admin:Keys:test-gateway-1:Hash"] = AdminApiKey.HashOf(_gatewayKey),
        ["Admin:Keys:test-gateway-1:Role"] = "ingest",
        ["Admin:Keys:test-gateway-1:Peripheral"] = "1",
        ["Admin:Keys:test-gateway-9:Hash"] = AdminApiKey.HashOf(_unknownPeripheralKey),
        ["Admin:Keys:test-gateway-9:Role"] = "ingest",
        ["Admin:Keys:test-gateway-9:Peripheral"] = "9", // no such peripheral is configured
    };

    [Fact]
    public async Task Should_show_a_posted_batch_on_a_client_drop_it_when_sent_again_and_answer_a_gap_with_a_resync_request()
    {
        await ConfigureTwoPeripheralsAsync();
        var batch = new[]
        {
            Event(1, PeripheralEventTypes.Resync) with { Agents = [new PeripheralAgentState(100, AgentStates.Ready, 0, 10, _at)], Calls = [] },
            Event(2, PeripheralEventTypes.AgentState) with { AgentId = 101, State = AgentStates.Ready, ReasonCode = 0, SkillGroupId = 10 },
            Event(3, PeripheralEventTypes.CallOffered) with { CallId = 5, CallTypeId = 7, SkillGroupId = 10 },
            Event(4, PeripheralEventTypes.CallOffered) with { CallId = 6, CallTypeId = 7, SkillGroupId = 10 },
            Event(8, PeripheralEventTypes.CallAnswered, sequence: 5) with { CallId = 5, AgentId = 100 },
            Event(9, PeripheralEventTypes.CallOffered, sequence: 6) with { CallId = 7, CallTypeId = 8, SkillGroupId = 10 },
            Event(40, PeripheralEventTypes.CallAbandoned, sequence: 7) with { CallId = 6 },
        };
        using var gateway = Rtd.NewCentralApi(_gatewayKey);

        var posted = await PostAsync(gateway, batch);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var body = await posted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(7, body.GetProperty("applied").GetInt32());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("resyncRequested").ValueKind);

        var expected = PeripheralFeed.Compute(batch, (type, _) => type == 7, _ => true, _ => ServiceLevelSeconds);
        var callType = await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7",
            r => PeripheralFeed.Shown(r.Value!.Value, "Today") == expected, TimeSpan.FromSeconds(30));
        Assert.Equal(new PeripheralFeed.Expected(2, 1, 0, 1, 5.0, 0.5), PeripheralFeed.Shown(callType.Value!.Value, "Today"));
        var service = PeripheralFeed.Compute(batch, (_, group) => group == 10, _ => true, _ => ServiceLevelSeconds);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, "50", r => PeripheralFeed.Shown(r.Value!.Value, "Today") == service,
            TimeSpan.FromSeconds(30));
        Assert.Equal(AgentStates.Ready, Live(RealTimeTables.Agent, "101").GetProperty("state").GetString());
        Assert.Equal(AgentStates.Ready, Live(RealTimeTables.Agent, "100").GetProperty("state").GetString());

        // sent again (a retry after a lost answer): every event a duplicate, nothing counted twice
        var again = await (await PostAsync(gateway, batch)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((0, 7), (again.GetProperty("applied").GetInt32(), again.GetProperty("duplicates").GetInt32()));
        Assert.Equal(7, Stats.ActivityDuplicates);

        // a gap: applied, and the answer says a resync is owed (a source on HTTP hears no control queue)
        var gap = await (await PostAsync(gateway, [Event(41, PeripheralEventTypes.AgentState, sequence: 10) with { AgentId = 102, State = AgentStates.Ready }]))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("gap: sequence 10 after 7", gap.GetProperty("resyncRequested").GetString(), StringComparison.Ordinal);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "102",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Uncertain, TimeSpan.FromSeconds(30));
        var heartbeat = await (await PostAsync(gateway, [Event(42, PeripheralEventTypes.Heartbeat, sequence: 11)])).Content.ReadFromJsonAsync<JsonElement>();
        Assert.NotEqual(JsonValueKind.Null, heartbeat.GetProperty("resyncRequested").ValueKind);

        var resync = await (await PostAsync(gateway, [Event(43, PeripheralEventTypes.Resync, sequence: 12) with
        {
            Agents = [new PeripheralAgentState(102, AgentStates.Ready, 0, 10, _at)],
            Calls = [new PeripheralCall(7, 8, 10, _at.AddSeconds(9), null)],
        }])).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(JsonValueKind.Null, resync.GetProperty("resyncRequested").ValueKind);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "100",
            r => r.Value?.GetProperty("peripheralStatus").GetString() == PeripheralStatuses.Online
                && r.Value?.GetProperty("state").GetString() == AgentStates.LoggedOut, TimeSpan.FromSeconds(30));
        Assert.Equal(0, Stats.ActivityRefused);
    }

    [Fact]
    public async Task Should_refuse_hostile_batches_with_a_4xx_and_a_reason_and_change_no_statistic_nor_sequence()
    {
        await ConfigureTwoPeripheralsAsync();
        using var gateway = Rtd.NewCentralApi(_gatewayKey);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(gateway,
        [
            Event(1, PeripheralEventTypes.Resync) with { Agents = [new PeripheralAgentState(100, AgentStates.Ready, 0, 10, _at)], Calls = [] },
            Event(2, PeripheralEventTypes.CallOffered) with { CallId = 1, CallTypeId = 7, SkillGroupId = 10 },
        ])).StatusCode);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7", r => r.Value?.GetProperty("callsOfferedToday").GetInt64() == 1,
            TimeSpan.FromSeconds(30));
        var applied = Stats.ActivityApplied;

        var good = Event(3, PeripheralEventTypes.CallOffered) with { CallId = 2, CallTypeId = 7, SkillGroupId = 10 };
        var hostile = new (object Body, HttpStatusCode Status, string Reason)[]
        {
            ("this is not json", HttpStatusCode.BadRequest, "not JSON"),
            (good, HttpStatusCode.BadRequest, "JSON array of events"),
            (Array.Empty<PeripheralEvent>(), HttpStatusCode.BadRequest, "from 1 to 10,000 events"),
            (Enumerable.Range(3, ActivityHttpIngest.MaxBatch + 1).Select(s => Event(3, PeripheralEventTypes.Heartbeat, sequence: s)).ToArray(),
                HttpStatusCode.RequestEntityTooLarge, "from 1 to 10,000 events"),
            (new object[] { good, "an event" }, HttpStatusCode.BadRequest, "event 1 (sequence ?): malformed event"),
            (new object[] { good, new { peripheralId = 1, session = "http", sequence = 4, type = "agent-exploded", at = _at } }, HttpStatusCode.BadRequest,
                "unknown event type 'agent-exploded'"),
            (new[] { good, Event(4, PeripheralEventTypes.AgentState) with { PeripheralId = 2, AgentId = 200, State = AgentStates.Ready } },
                HttpStatusCode.Forbidden, "event of peripheral 2: this key posts only peripheral 1's"),
            (new[] { good, Event(4, PeripheralEventTypes.AgentState) with { AgentId = 999, State = AgentStates.Ready } }, HttpStatusCode.UnprocessableEntity,
                "unknown agent 999"),
            (new[] { good, Event(4, PeripheralEventTypes.CallOffered) with { CallId = 3, CallTypeId = 99, SkillGroupId = 10 } }, HttpStatusCode.UnprocessableEntity,
                "unknown call type 99"),
            (new[] { good, Event(4, PeripheralEventTypes.AgentState) with { At = DateTimeOffset.UtcNow.AddDays(2), AgentId = 101, State = AgentStates.Ready } },
                HttpStatusCode.UnprocessableEntity, "ahead of the center's clock"),
            (new[] { good, Event(4, PeripheralEventTypes.AgentState) with { At = DateTimeOffset.UtcNow.AddDays(-2), AgentId = 101, State = AgentStates.Ready } },
                HttpStatusCode.UnprocessableEntity, "behind the center's clock"),
        };
        foreach (var (body, status, reason) in hostile)
        {
            var response = await PostAsync(gateway, body);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        using var unknown = Rtd.NewCentralApi(_unknownPeripheralKey);
        var stranger = await PostAsync(unknown, new[] { Event(1, PeripheralEventTypes.Heartbeat) with { PeripheralId = 9 } });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stranger.StatusCode);
        Assert.Contains("unknown peripheral 9", (await stranger.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(applied, Stats.ActivityApplied);

        // the refused batches took no sequence: 3 and 4 come now as the next ones, no gap, and nothing of theirs shows
        var next = await PostAsync(gateway, [Event(3, PeripheralEventTypes.AgentState) with { AgentId = 101, State = AgentStates.NotReady, ReasonCode = 7 },
            Event(4, PeripheralEventTypes.AgentState) with { AgentId = 102, State = AgentStates.Ready }]);
        var answer = await next.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((2, 0), (answer.GetProperty("applied").GetInt32(), answer.GetProperty("duplicates").GetInt32()));
        Assert.Equal(JsonValueKind.Null, answer.GetProperty("resyncRequested").ValueKind);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "102", r => r.Value?.GetProperty("state").GetString() == AgentStates.Ready,
            TimeSpan.FromSeconds(30));
        var callType = Live(RealTimeTables.CallType, "7");
        Assert.Equal((1, 1), (callType.GetProperty("callsOfferedToday").GetInt64(), callType.GetProperty("callsQueuedNow").GetInt32()));
        Assert.Equal(AgentStates.NotReady, Live(RealTimeTables.Agent, "101").GetProperty("state").GetString());
        Assert.Equal(PeripheralStatuses.Online, Live(RealTimeTables.Agent, "101").GetProperty("peripheralStatus").GetString());
        Assert.Equal(AgentStates.LoggedOut, Live(RealTimeTables.Agent, "200").GetProperty("state").GetString());
        Assert.Equal(0, Stats.ActivityDuplicates);
        Assert.Equal(8, Stats.ActivityRefused); // the bad events of the 8 batches that had events; a body that is no batch counts none
    }

    [Fact]
    public async Task Should_refuse_a_body_not_sent_as_json_a_NUL_and_a_far_future_sequence_and_apply_the_sessions_next_genuine_event()
    {
        await ConfigureTwoPeripheralsAsync();
        using var gateway = Rtd.NewCentralApi(_gatewayKey);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(gateway, [Event(1, PeripheralEventTypes.Resync) with { Agents = [], Calls = [] }])).StatusCode);
        var applied = Stats.ActivityApplied;

        var heartbeat = JsonSerializer.Serialize(new[] { Event(2, PeripheralEventTypes.Heartbeat) }, Json.Options);
        foreach (var type in new[] { "text/plain", "application/xml", "application/x-www-form-urlencoded", null })
        {
            using var content = new StringContent(heartbeat, Encoding.UTF8);
            content.Headers.ContentType = type is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(type);
            using var response = await gateway.PostAsync(ActivityHttpIngest.Path, content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Contains("Content-Type: application/json", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(),
                StringComparison.Ordinal);
        }
        var hostile = new (PeripheralEvent Event, HttpStatusCode Status, string Reason)[]
        {
            (Event(2, PeripheralEventTypes.Heartbeat) with { Session = "http\0" }, HttpStatusCode.BadRequest, "event.session contains a NUL character"),
            (Event(2, PeripheralEventTypes.AgentState, sequence: long.MaxValue) with { AgentId = 101, State = AgentStates.Ready },
                HttpStatusCode.BadRequest, $"sequence must be from 1 to {GatewayActivity.MaxSequence}"),
            (Event(2, PeripheralEventTypes.AgentState, sequence: 2 + ActivityOptions.DefaultMaxSequenceJump) with { AgentId = 101, State = AgentStates.Ready },
                HttpStatusCode.UnprocessableEntity, "is more than 1,000,000 above the session's last, 1"),
        };
        foreach (var (e, status, reason) in hostile)
        {
            using var response = await PostAsync(gateway, [e]);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        Assert.Equal(applied, Stats.ActivityApplied);

        // the session's next genuine event: applied, no duplicate, no gap
        var next = await (await PostAsync(gateway, [Event(2, PeripheralEventTypes.AgentState) with { AgentId = 100, State = AgentStates.Ready, ReasonCode = 0 }]))
            .Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((1, 0), (next.GetProperty("applied").GetInt32(), next.GetProperty("duplicates").GetInt32()));
        Assert.Equal(JsonValueKind.Null, next.GetProperty("resyncRequested").ValueKind);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "100", r => r.Value?.GetProperty("state").GetString() == AgentStates.Ready,
            TimeSpan.FromSeconds(30));
        Assert.Equal(PeripheralStatuses.Online, Live(RealTimeTables.Agent, "100").GetProperty("peripheralStatus").GetString());
    }

    [Fact]
    public async Task Should_answer_401_without_a_valid_key_and_403_to_a_key_of_another_role()
    {
        await ConfigureTwoPeripheralsAsync();
        var batch = new[] { Event(1, PeripheralEventTypes.Heartbeat) };
        using var anonymous = Rtd.NewCentralApi(null);
        using var wrong = Rtd.NewCentralApi(Guid.NewGuid().ToString("N"));
        using var reader = Rtd.NewCentralApi(Rtd.ReaderKey);
        using var editor = Rtd.NewCentralApi(Rtd.EditorKey);
        using var gateway = Rtd.NewCentralApi(_gatewayKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(anonymous, batch)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(wrong, batch)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(reader, batch)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostAsync(editor, batch)).StatusCode);
        // an ingest key reads and edits nothing of the configuration
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.GetAsync("/api/config/agent")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await gateway.PutAsJsonAsync("/api/config/peripheral/1?force=true", new { name = "mine", kind = "acd" })).StatusCode);
        Assert.Equal((0, 0), (Stats.ActivityApplied, Stats.ActivityRefused));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(gateway, batch)).StatusCode);
        Assert.Equal(1, Stats.ActivityApplied);
    }

    /// <summary>An event of peripheral 1's session "http", <paramref name="seconds"/> after the test's start time.</summary>
    private PeripheralEvent Event(double seconds, string type, long? sequence = null) =>
        new(1, "http", sequence ?? (long)seconds, type, _at.AddSeconds(seconds));

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, PeripheralEvent[] events) => PostAsync(http, (object)events);

    /// <summary>POST /api/activity with <paramref name="body"/> serialized (a string as it is).</summary>
    private static Task<HttpResponseMessage> PostAsync(HttpClient http, object body) =>
        http.PostAsync(ActivityHttpIngest.Path, new StringContent(body is string text ? text : JsonSerializer.Serialize(body, Json.Options), Encoding.UTF8,
            "application/json"));
}
