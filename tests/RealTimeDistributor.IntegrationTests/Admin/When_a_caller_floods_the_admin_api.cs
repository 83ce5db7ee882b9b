using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Central.Admin;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>
/// A flood against the admin API (issue 24): requests with an unknown key are each answered 401 but logged as sampled
/// Information lines (never Warning), beyond the limit per key (Admin:RateLimit:PerKey, here 5 a second) or per address
/// (PerAddress, here 60) a request gets 429 with the reason while another key still gets through, and a 40 MB body is
/// refused with 413 and a reason, without an error in the log (read from the events the center posts to a stand-in for Seq).
/// </summary>
public sealed class When_a_caller_floods_the_admin_api : SystemTest
{
    private readonly SeqStandIn _seq = SeqStandIn.Start();

    protected override Dictionary<string, string?> CentralSettings => new()
    {
        ["Seq:ServerUrl"] = _seq.Url.ToString(),
        ["Serilog:MinimumLevel:Default"] = "Information", // the tests' hosts log from Warning up
        ["Admin:RateLimit:PerKey"] = "5",
        ["Admin:RateLimit:PerAddress"] = "60",
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _seq.Dispose();
    }

    private static bool Refusal(JsonElement e, int status) =>
        SeqStandIn.Property(e, "Status") == $"{status}" && SeqStandIn.Property(e, "Path").StartsWith("/api/", StringComparison.Ordinal);

    [Fact]
    public async Task Should_log_refusals_sampled_answer_429_beyond_a_keys_or_an_addresss_limit_and_413_to_a_40_MB_body()
    {
        using var reader = Rtd.NewCentralApi(Rtd.ReaderKey);
        using var editor = Rtd.NewCentralApi(Rtd.EditorKey);
        using var unknown = Rtd.NewCentralApi("not-a-key-of-this-center");

        // 40 MB: 413 with a reason (first, while no limit is reached)
        // (Expect: 100-continue: the client waits for the center's answer before it sends the 40 MB the center refuses)
        using var request = new HttpRequestMessage(HttpMethod.Put, "/api/config/peripheral/1?force=true")
        {
            Content = new StringContent($"{{\"name\": \"{new string('x', 40 * 1024 * 1024)}\", \"kind\": \"acd\"}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        using var huge = await editor.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Contains("too large", await DetailAsync(huge), StringComparison.OrdinalIgnoreCase);
        await _seq.WaitForAsync(e => Refusal(e, 413), TimeSpan.FromSeconds(30));

        var watch = Stopwatch.StartNew();
        // one key: beyond 5 a second, 429 naming the key's limit; another key still gets through
        var byKey = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => reader.GetAsync("/api/config/agent")));
        Assert.Contains(byKey, r => r.StatusCode == HttpStatusCode.OK);
        var limited = byKey.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Equal("1", limited.Headers.RetryAfter?.ToString());
        Assert.Contains("with key 'test-reader' (Admin:RateLimit:PerKey)", await DetailAsync(limited), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await editor.GetAsync("/api/config/agent")).StatusCode);

        // unknown keys from one address: 401 each until the address's 60 a second, then 429
        var byAddress = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => unknown.GetAsync("/api/config/agent")));
        Assert.Contains(byAddress, r => r.StatusCode == HttpStatusCode.Unauthorized);
        Assert.All(byAddress, r => Assert.Contains(r.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        var tooMany = byAddress.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.Contains("from address 127.0.0.1 (Admin:RateLimit:PerAddress)", await DetailAsync(tooMany), StringComparison.Ordinal);

        // the flood is in the log as at most 10 lines a second, and a line that counts the rest
        await Eventually.Until(async () =>
        {
            using var again = await unknown.GetAsync("/api/audit"); // a refusal in a later second says how many were not logged
            return _seq.Events.Any(e => SeqStandIn.Property(e, "Unlogged") is { Length: > 0 });
        }, found => found, "the line counting the refusals not logged one by one");
        watch.Stop();
        // every refusal so far came within the watch's seconds: at most 10 lines in each
        var lines = _seq.Events.Count(e => Refusal(e, 401) || Refusal(e, 429));
        Assert.InRange(lines, 1, RefusalLog.LinesPerSecond * ((int)Math.Ceiling(watch.Elapsed.TotalSeconds) + 1));

        Assert.DoesNotContain(_seq.Events, e => SeqStandIn.Level(e) is "Warning" or "Error" or "Fatal" && SeqStandIn.Property(e, "Path").StartsWith("/api", StringComparison.Ordinal));
        Assert.DoesNotContain(_seq.Events, e => SeqStandIn.Level(e) is "Error" or "Fatal");
    }

    private static async Task<string> DetailAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
}
