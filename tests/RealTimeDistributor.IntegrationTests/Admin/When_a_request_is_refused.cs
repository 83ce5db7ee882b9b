using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>
/// A refused request is not an error: the center answers POST /api/activity with a bad batch, and an admin edit without
/// If-Match, with a 4xx, and logs the refusal once at Information with its status and reason (read from the events the
/// center posts to a stand-in for Seq), never at Warning or above. An empty body or one not sent as JSON is such a
/// refusal on every JSON endpoint (issue 24): a 400 or 415 with a reason, never a 500 logged with a stack trace.
/// </summary>
public sealed class When_a_request_is_refused : SystemTest
{
    private readonly SeqStandIn _seq = SeqStandIn.Start();
    private readonly string _gatewayKey = Guid.NewGuid().ToString("N");

    protected override Dictionary<string, string?> CentralSettings => new()
    {
        ["Seq:ServerUrl"] = _seq.Url.ToString(),
        ["Serilog:MinimumLevel:Default"] = "Information", // the tests' hosts log from Warning up
        ["RealTime:Source"] = ActivityOptions.Gateways,
        ["Admin:Keys:test-gateway-1:Hash"] = AdminApiKey.HashOf(_gatewayKey),
        ["Admin:Keys:test-gateway-1:Role"] = "ingest",
        ["Admin:Keys:test-gateway-1:Peripheral"] = "1",
    };

    private static bool Mentions(JsonElement e, string text) =>
        e.EnumerateObject().Any(p => p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.Contains(text, StringComparison.Ordinal));

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _seq.Dispose();
    }

    [Fact]
    public async Task Should_log_it_at_information_with_its_status_and_reason()
    {
        await Rtd.Central.Services.GetRequiredService<GatewayActivity>().Configured.WaitAsync(TimeSpan.FromSeconds(30));
        using var gateway = Rtd.NewCentralApi(_gatewayKey);
        using var editor = Rtd.NewCentralApi(Rtd.EditorKey);
        Assert.Equal(HttpStatusCode.OK, (await editor.PutAsJsonAsync("/api/config/peripheral/1?force=true", new { name = "ACD", kind = "acd" })).StatusCode);

        var refusals = new (string Path, Func<Task<HttpResponseMessage>> Send, HttpStatusCode Status)[]
        {
            (ActivityHttpIngest.Path, () => gateway.PostAsync(ActivityHttpIngest.Path, new StringContent("this is not json", Encoding.UTF8, "application/json")),
                HttpStatusCode.BadRequest),
            (ActivityHttpIngest.Path, () => gateway.PostAsync(ActivityHttpIngest.Path, JsonContent.Create(new[]
                {
                    new { peripheralId = 2, session = "http", sequence = 1, type = "heartbeat", at = DateTimeOffset.UtcNow },
                })), HttpStatusCode.Forbidden),
            ("/api/config/peripheral/1", () => editor.PutAsJsonAsync("/api/config/peripheral/1", new { name = "ACD 1", kind = "acd" }),
                (HttpStatusCode)428),
        };
        foreach (var (path, send, status) in refusals)
        {
            using var response = await send();
            Assert.Equal(status, response.StatusCode);
            var reason = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

            var logged = await _seq.WaitForAsync(e => SeqStandIn.Property(e, "Path") == path && SeqStandIn.Property(e, "Status") == $"{(int)status}",
                TimeSpan.FromSeconds(30));
            Assert.Equal("Information", SeqStandIn.Level(logged));
            Assert.Equal(reason, SeqStandIn.Property(logged, "Reason"));
            Assert.DoesNotContain(_seq.Events, e => SeqStandIn.Level(e) is "Warning" or "Error" or "Fatal" && Mentions(e, reason));
        }
    }

    [Fact]
    public async Task Should_answer_an_empty_body_with_400_and_one_not_sent_as_json_with_415_on_every_json_endpoint_and_log_no_error()
    {
        await Rtd.Central.Services.GetRequiredService<GatewayActivity>().Configured.WaitAsync(TimeSpan.FromSeconds(30));
        using var gateway = Rtd.NewCentralApi(_gatewayKey);
        using var editor = Rtd.NewCentralApi(Rtd.EditorKey);
        const string agent = "/api/config/agent/100";
        const string batch = "/api/config/batch";
        var heartbeat = $"[{{\"peripheralId\":1,\"session\":\"http\",\"sequence\":1,\"type\":\"heartbeat\",\"at\":\"{DateTimeOffset.UtcNow:O}\"}}]";
        var refusals = new (HttpClient Http, HttpMethod Method, string Path, string Body, string? Type, HttpStatusCode Status, string Reason)[]
        {
            (editor, HttpMethod.Put, agent, "", "application/json", HttpStatusCode.BadRequest, "The body is empty"),
            (editor, HttpMethod.Post, batch, "", "application/json", HttpStatusCode.BadRequest, "The body is empty"),
            (editor, HttpMethod.Put, agent, "{\"name\": \"Agent 100\"}", "text/plain", HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json"),
            (editor, HttpMethod.Post, batch, "{\"changes\": []}", null, HttpStatusCode.UnsupportedMediaType, "(not none)"),
            (gateway, HttpMethod.Post, ActivityHttpIngest.Path, heartbeat, "text/plain", HttpStatusCode.UnsupportedMediaType, "(not 'text/plain"),
            (gateway, HttpMethod.Post, ActivityHttpIngest.Path, "", "application/json", HttpStatusCode.BadRequest, "The body is empty"),
        };
        foreach (var (http, method, path, body, type, status, expected) in refusals)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
            request.Content.Headers.ContentType = type is null ? null : new System.Net.Http.Headers.MediaTypeHeaderValue(type);
            request.Headers.IfMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
            using var response = await http.SendAsync(request);
            Assert.Equal(status, response.StatusCode);
            var reason = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
            Assert.Contains(expected, reason, StringComparison.Ordinal);

            var logged = await _seq.WaitForAsync(e => SeqStandIn.Property(e, "Path") == path && SeqStandIn.Property(e, "Status") == $"{(int)status}",
                TimeSpan.FromSeconds(30));
            Assert.Equal("Information", SeqStandIn.Level(logged));
            Assert.Equal(reason, SeqStandIn.Property(logged, "Reason"));
        }
        Assert.DoesNotContain(_seq.Events, e => SeqStandIn.Level(e) is "Error" or "Fatal");
        Assert.Equal(0, Rtd.Central.Services.GetRequiredService<RealTimeDistributor.Central.CentralStats>().ActivityApplied);
    }
}
