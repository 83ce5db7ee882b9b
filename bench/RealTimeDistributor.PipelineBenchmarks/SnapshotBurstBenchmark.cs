using System.Text.Json;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Testing;
using static RealTimeDistributor.PipelineBenchmarks.ScaleBenchmark;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 22's snapshot storm without the browsers: a live center of N agents (as <see cref="ScaleBenchmark"/>) and the
/// site's distributor process, then <c>fanout-browsers</c>' snapshot step (<see cref="BrowsersBenchmark.SnapshotRequestsAsync"/>:
/// W workstations ask for the whole site's snapshot at once), once per burst. Around each burst the
/// distributor's GET /stats gives the requests it served and the reads of the replica they took.
/// </summary>
public static class SnapshotBurstBenchmark
{
    public sealed record Options(int Agents, int Workstations, int Bursts);

    public static async Task RunAsync(Report report, Options options)
    {
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("snapburst");
        var stats = new Uri($"http://127.0.0.1:{CommandRuns.FreePort()}/stats");
        var (distributor, _) = await StartCenterAndSiteAsync(system, site, options.Agents, 40, 30, stats.GetLeftPart(UriPartial.Authority));
        // the center's first interval is a full refresh: every real-time row reaches the replica
        while (await system.ReplicaRowCountAsync(site, RealTimeTables.Agent) < options.Agents)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
        using var http = new HttpClient();
        for (var burst = 1; burst <= options.Bursts; burst++)
        {
            var name = $"{options.Agents:N0} agents, {options.Workstations} workstations, burst {burst}";
            var before = await CountersAsync(http, stats);
            await BrowsersBenchmark.SnapshotRequestsAsync(report, site, name, options.Workstations, distributor);
            var after = await CountersAsync(http, stats);
            var group = "fanout-browsers: snapshot requests of many workstations at once";
            report.Add(group, $"{name}: requests served (distributor /stats)", after.Served - before.Served, "requests");
            report.Add(group, $"{name}: replica reads (distributor /stats)", after.Reads - before.Reads, "reads");
        }
    }

    /// <summary>The distributor's snapshot counters; NaN where its /stats has none (code before they were counted).</summary>
    private static async Task<(double Served, double Reads)> CountersAsync(HttpClient http, Uri stats)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(stats));
        double Read(string field) => document.RootElement.TryGetProperty(field, out var value) ? value.GetDouble() : double.NaN;
        return (Read("snapshotRequestsServed"), Read("snapshotReplicaReads"));
    }
}
