using System.Collections.Concurrent;
using System.Diagnostics;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;
using Span = System.Diagnostics.Activity;

namespace RealTimeDistributor.IntegrationTests.Observability;

/// <summary>
/// One configuration edit followed by its trace (RtdTracing) through the real broker and database: the center (its
/// traces to the console, Telemetry:Exporter console, so the admin API's request is the root), the site's distributor
/// and a client. A listener in the test sees the spans of the "RealTimeDistributor" source; each hop's span is the child
/// of the one before, carried only by what crosses between the hosts: the change log row's trace_parent column and the
/// traceparent header of the relay's and the site's messages.
/// </summary>
public sealed class When_an_edit_is_traced(ITestOutputHelper output) : SystemTest
{
    protected override Dictionary<string, string?> CentralSettings => new() { ["Telemetry:Exporter"] = "console" };

    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    [Fact]
    public async Task Should_follow_it_from_the_admin_api_to_the_client_view_in_one_trace()
    {
        await SeedPeripheralAsync();
        await View.WaitForAsync("config", "peripheral", "1", _ => true, TimeSpan.FromSeconds(60));

        var spans = new ConcurrentQueue<Span>();
        using var stopped = new SemaphoreSlim(0);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == RtdTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                spans.Enqueue(activity);
                stopped.Release();
            },
        };
        ActivitySource.AddActivityListener(listener);

        await PutAsync("peripheral", 2, new { name = "ACD 2", kind = "acd" });
        var sequence = await Rtd.CentralScalarAsync("SELECT last_value FROM config_sequence WHERE id = 1");
        Span? Hop(string name) => spans.FirstOrDefault(s => s.OperationName == name && Equals(s.GetTagItem(RtdTracing.SequenceTag), sequence));
        string[] names = [RtdTracing.Hops.Commit, RtdTracing.Hops.Relay, RtdTracing.Hops.Apply, RtdTracing.Hops.SitePublish, RtdTracing.Hops.ClientView];
        // each span ends when its hop is done: the distributor's apply last, once the site broker confirmed the publish
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (names.Any(n => Hop(n) is null) && await stopped.WaitAsync(deadline - DateTime.UtcNow))
        {
        }

        var hops = names.Select(name => (Name: name, Span: Hop(name))).ToList();
        var commit = hops[0].Span!;
        foreach (var (name, span) in hops)
        {
            output.WriteLine(span is null ? $"{name}: none" : $"{name,-22} starts +{(span.StartTimeUtc - commit.StartTimeUtc).TotalMilliseconds,7:0.0} ms, "
                + $"takes {span.Duration.TotalMilliseconds,7:0.0} ms, trace {span.TraceId}, span {span.SpanId}, parent {span.ParentSpanId}");
        }
        Assert.All(hops, h => Assert.True(h.Span is not null, $"no {h.Name} span of change {sequence}"));
        // the admin API's request span (ASP.NET Core, traced by the center's exporter) is the commit's parent
        Assert.NotEqual(default, commit.ParentSpanId);
        // one trace; each hop the child of the one before
        Assert.All(hops, h => Assert.Equal(commit.TraceId, h.Span!.TraceId));
        for (var i = 1; i < hops.Count; i++)
        {
            Assert.Equal(hops[i - 1].Span!.SpanId, hops[i].Span!.ParentSpanId);
        }
        // the change log row carried the commit's context across the database
        await using var connection = new Npgsql.NpgsqlConnection(TestSettings.ConnectionString(Rtd.CentralDatabase));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand($"SELECT trace_parent FROM config_change_log WHERE sequence = {sequence}", connection);
        Assert.Equal(commit.Id, await command.ExecuteScalarAsync());
    }
}
