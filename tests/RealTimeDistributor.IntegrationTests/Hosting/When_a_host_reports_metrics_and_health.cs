using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>The "RealTimeDistributor" meter (read with a real MeterListener and at GET /metrics) and GET /health of each host.</summary>
public sealed class When_a_host_reports_metrics_and_health(ITestOutputHelper output) : SystemTest
{

    [Fact]
    public async Task Should_count_applied_changes_and_their_latency_on_the_meter_and_at_metrics()
    {
        var distributor = await Rtd.StartDistributorAsync(Site);
        long applied = 0;
        var latencies = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RtdMetrics.MeterName && instrument.Name is "rtd.config.applied" or "rtd.config.apply_latency")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        // rtd.config.applied is observed from the distributor's counts: each collection reports the total so far
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (IsSite(tags))
            {
                Interlocked.Exchange(ref applied, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            if (IsSite(tags))
            {
                lock (latencies)
                {
                    latencies.Add(value);
                }
            }
        });
        listener.Start();

        for (var id = 1; id <= 3; id++)
        {
            await PutAsync("peripheral", id, new { name = $"ACD {id}", kind = "acd" });
        }
        Assert.Equal(3, await Eventually.Until(() =>
        {
            listener.RecordObservableInstruments();
            return Task.FromResult(Interlocked.Read(ref applied));
        }, a => a >= 3, "three changes applied on the meter"));
        await Eventually.Until(() => Task.FromResult(Volatile.Read(ref applied)), _ => latencies.Count >= 3, "three latencies");
        lock (latencies)
        {
            Assert.All(latencies, l => Assert.InRange(l, 0, 60));
        }

        var metrics = await TextAsync(distributor.Urls.First(), "/metrics");
        Assert.Matches($@"rtd_config_applied_total\{{[^}}]*site=""{Site}""[^}}]*\}} 3", metrics);
        Assert.Matches($@"rtd_config_apply_latency_seconds_count\{{[^}}]*site=""{Site}""[^}}]*\}} 3", metrics);
        Assert.Matches($@"rtd_config_resyncs_total\{{[^}}]*site=""{Site}""[^}}]*\}} 0", metrics);
        Assert.Matches($@"rtd_config_lag_seconds\{{[^}}]*site=""{Site}""", metrics);
        // the relay counts a publish after the broker's confirm and its own bookkeeping: possibly after the site applied it
        const string published = @"rtd_config_published_total\{[^}]*process=""central""[^}]*\} 3";
        var central = await Eventually.Until(() => TextAsync(Rtd.Central.Urls.First(), "/metrics"), m => Regex.IsMatch(m, published),
            "the central publish counter at 3");
        Assert.Matches(@"rtd_config_committed_total\{[^}]*process=""central""[^}]*\} 3", central);
        Assert.Matches(published, central);
        output.WriteLine(string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("rtd_", StringComparison.Ordinal) && l.Contains(Site, StringComparison.Ordinal))));
    }

    [Fact]
    public async Task Should_answer_503_naming_the_replica_database_while_it_is_unreachable()
    {
        var distributor = await StartDistributorBehindDatabaseProxyAsync();
        var client = await Rtd.StartClientAsync(Site, "ws1");

        var (status, health) = await HealthAsync(distributor.Urls.First());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", Check(health, "replica-database"));
        Assert.Equal("Healthy", Check(health, "masstransit-bus"));
        (status, health) = await HealthAsync(Rtd.Central.Urls.First());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", Check(health, "central-database"));
        (status, health) = await HealthAsync(client.Urls.First());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", Check(health, "site-broker"));

        DatabaseProxy.Cut();
        (status, health) = await HealthAsync(distributor.Urls.First());
        output.WriteLine(health.ToString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", Check(health, "replica-database"));
        Assert.Contains($"127.0.0.1:{DatabaseProxy.Port}/{Rtd.ReplicaDatabase(Site)}", health.ToString(), StringComparison.Ordinal);

        DatabaseProxy.Restore();
        await Eventually.Until(async () => (await HealthAsync(distributor.Urls.First())).Status, s => s == HttpStatusCode.OK, "healthy again");
    }

    private bool IsSite(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "site" && (string?)tag.Value == Site)
            {
                return true;
            }
        }
        return false;
    }

    private static async Task<string> TextAsync(string baseUrl, string path)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        return await http.GetStringAsync(path);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> HealthAsync(string baseUrl)
    {
        using var http = new HttpClient { BaseAddress = new Uri(baseUrl) };
        using var response = await http.GetAsync("/health");
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static string? Check(JsonElement health, string name) =>
        health.GetProperty("checks").EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } c
            ? c.GetProperty("status").GetString()
            : null;
}
