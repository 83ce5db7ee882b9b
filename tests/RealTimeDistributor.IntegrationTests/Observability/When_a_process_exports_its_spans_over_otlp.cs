using System.Net;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Observability;

/// <summary>
/// Telemetry:Exporter otlp on a distributor run as a process of its own: its spans of an edit reach an OTLP/HTTP endpoint
/// (a listener in the test taking POST /v1/traces), in the trace the center started (the trace id the change log row
/// carries in trace_parent, as the 16 bytes OTLP's protobuf holds it, next to the span's name).
/// </summary>
public sealed class When_a_process_exports_its_spans_over_otlp(ITestOutputHelper output) : SystemTest
{
    private const int MaxBodies = 200;

    protected override Dictionary<string, string?> CentralSettings => new() { ["Telemetry:Exporter"] = "console" };

    [Fact]
    public async Task Should_send_the_distributor_spans_of_an_edit_to_the_endpoint()
    {
        var port = CommandRuns.FreePort();
        using var receiver = new HttpListener { Prefixes = { $"http://127.0.0.1:{port}/" } };
        receiver.Start();
        var bodies = new List<(string ContentType, byte[] Body)>();
        using var received = new SemaphoreSlim(0);
        var receiving = ReceiveAsync(receiver, bodies, received);

        await Rtd.EnsureSiteAsync(Site);
        await SeedPeripheralAsync();
        Rtd.StartDistributorProcess(Site, "a", new()
        {
            ["Telemetry__Exporter"] = "otlp",
            ["Telemetry__OtlpEndpoint"] = $"http://127.0.0.1:{port}/v1/traces",
        });
        await Rtd.WaitAppliedAsync(Site, 1, TimeSpan.FromSeconds(90));
        await PutAsync("peripheral", 2, new { name = "ACD 2", kind = "acd" });
        await Rtd.WaitAppliedAsync(Site, 2, TimeSpan.FromSeconds(60));

        await using var connection = new Npgsql.NpgsqlConnection(TestSettings.ConnectionString(Rtd.CentralDatabase));
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT trace_parent FROM config_change_log WHERE sequence = 2", connection);
        var traceParent = (string)(await command.ExecuteScalarAsync())!;
        var traceId = Convert.FromHexString(traceParent.Split('-')[1]);
        output.WriteLine($"change 2: traceparent {traceParent}");

        // the exporter sends a batch every 5 s (its default): wait for the one with the apply span of this trace
        bool Exported()
        {
            lock (bodies)
            {
                return bodies.Any(b => Contains(b.Body, traceId) && Contains(b.Body, System.Text.Encoding.UTF8.GetBytes(RtdTracing.Hops.Apply)));
            }
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Exported() && await received.WaitAsync(deadline - DateTime.UtcNow))
        {
        }
        lock (bodies)
        {
            output.WriteLine($"{bodies.Count} OTLP requests received: {string.Join(", ", bodies.Select(b => $"{b.ContentType} {b.Body.Length} B"))}");
            Assert.True(Exported(), $"no OTLP request held a {RtdTracing.Hops.Apply} span of trace {traceParent.Split('-')[1]}");
            Assert.All(bodies, b => Assert.Equal("application/x-protobuf", b.ContentType));
        }
        receiver.Stop();
        await receiving;
    }

    /// <summary>Answers every request 200 and keeps its body (at most <see cref="MaxBodies"/>), until the listener stops.</summary>
    private static Task ReceiveAsync(HttpListener receiver, List<(string, byte[])> bodies, SemaphoreSlim received) =>
        HttpListenerLoop.ServeAsync(receiver, async context =>
        {
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            lock (bodies)
            {
                if (bodies.Count < MaxBodies)
                {
                    bodies.Add((context.Request.ContentType ?? "", body.ToArray()));
                }
            }
            context.Response.StatusCode = 200;
            context.Response.Close();
            received.Release();
        });

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
