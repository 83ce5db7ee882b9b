using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Cli;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Observability;

/// <summary>
/// The alert rules of infra/prometheus on a real Prometheus (infra/prometheus/prometheus.sh, 1 s scrape and evaluation,
/// every `for:` 1 s): a site whose distributor is a process of its own, a client whose real-time data is stale after 2 s,
/// real-time batches every 250 ms. The distributor is frozen (SIGSTOP) and one configuration change is made: the site
/// falls behind the center and the client's real-time data goes stale, and Prometheus fires RtdSiteBehind and
/// RtdRealTimeStale for that site; `rtd status` and the wallboard say the same. Resumed (SIGCONT), both alerts clear.
/// </summary>
public sealed class When_a_distributor_is_paused_under_prometheus(ITestOutputHelper output) : SystemTest
{
    private static readonly string[] Agents = ["1001", "1002"];

    [Fact]
    public async Task Should_fire_the_site_behind_and_real_time_stale_alerts_then_clear_them()
    {
        await Rtd.EnsureSiteAsync(Site);
        await SeedPeripheralAsync();
        var distributorPort = CommandRuns.FreePort();
        var distributor = Rtd.StartDistributorProcess(Site, "a", new() { ["Urls"] = $"http://127.0.0.1:{distributorPort}" });
        await Rtd.WaitAppliedAsync(Site, 1, TimeSpan.FromSeconds(90));
        var client = await Rtd.StartClientAsync(Site, "ws1", new Dictionary<string, string?> { ["Client:StaleAfter"] = "00:00:02" });
        var view = client.Services.GetRequiredService<ClientView>();

        using var stop = new CancellationTokenSource();
        var stream = StreamRealTimeAsync(stop.Token);
        await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, Agents[0], _ => true, TimeSpan.FromSeconds(60));

        await using var prometheus = await PrometheusServer.StartAsync(new Dictionary<string, string[]>
        {
            ["central"] = [new Uri(Rtd.Central.Urls.First()).Authority],
            ["distributor"] = [$"127.0.0.1:{distributorPort}"],
            ["client"] = [new Uri(client.Urls.First()).Authority],
        });
        // every process scraped, the site's figures in, and neither alert before the pause
        await Eventually.Until<double?>(() => prometheus.QueryAsync("count(up == 1)"), n => n == 3, "three targets up in Prometheus");
        await Eventually.Until<double?>(() => prometheus.QueryAsync($"max(rtd_config_applied_sequence{{site=\"{Site}\"}})"), s => s == 1, "the site's applied sequence in Prometheus");
        await Eventually.Until<double?>(() => prometheus.QueryAsync("max(rtd_config_last_sequence)"), s => s == 1, "the center's last sequence in Prometheus");
        await Eventually.Until<double?>(() => prometheus.QueryAsync($"max(rtd_client_realtime_stale{{site=\"{Site}\"}})"), s => s == 0, "the client's real-time fresh in Prometheus");
        Assert.Empty(await SiteAlertsAsync(prometheus));

        await HostProcess.SignalAsync(distributor, "-STOP");
        try
        {
            await PutAsync("peripheral", 2, new { name = "ACD 2", kind = "acd" });
            var fired = await Eventually.Until(() => SiteAlertsAsync(prometheus),
                alerts => alerts.Any(a => a is { Name: "RtdSiteBehind", State: "firing" })
                    && alerts.Any(a => a is { Name: "RtdRealTimeStale", State: "firing" } && a.Labels["table"] == RealTimeTables.Agent),
                "RtdSiteBehind and RtdRealTimeStale firing for the site", TimeSpan.FromSeconds(60));
            output.WriteLine(string.Join('\n', fired.Select(a => $"{a.State} {a.Name} {string.Join(',', a.Labels.Select(l => $"{l.Key}={l.Value}"))}")));

            // the wallboard shows the table stale, and rtd status does not call the site up to date
            using (var http = new HttpClient { BaseAddress = new Uri(client.Urls.First()) })
            {
                var tables = await http.GetFromJsonAsync<JsonElement>("/tables");
                Assert.Contains(tables.EnumerateArray(), t => t.GetProperty("table").GetString() == RealTimeTables.Agent && t.GetProperty("stale").GetBoolean());
            }
            var status = await StatusRuns.UntilAsync(output,
            [
                "--central", Rtd.Central.Urls.First(),
                "--sites", $"{Site}=http://127.0.0.1:{distributorPort}",
                "--central-vhost", Rtd.CentralVirtualHost,
                "--management", $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}",
                "--user", TestSettings.RabbitUser, "--password", TestSettings.RabbitPassword,
                "--max-realtime-age", "2s",
            ], expectedExit: 1, TimeSpan.FromSeconds(30), $@"{Regex.Escape(Site)} .* DISTRIBUTOR UNREACHABLE");
            Assert.DoesNotContain("every site is up to date", status, StringComparison.Ordinal);
        }
        finally
        {
            await HostProcess.SignalAsync(distributor, "-CONT");
        }

        await Rtd.WaitAppliedAsync(Site, 2, TimeSpan.FromSeconds(60));
        await Eventually.Until(() => SiteAlertsAsync(prometheus), alerts => alerts.Count == 0, "both alerts of the site cleared", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await stream;
    }

    /// <summary>RtdSiteBehind and RtdRealTimeStale of this test's site, pending or firing.</summary>
    private async Task<List<PrometheusAlert>> SiteAlertsAsync(PrometheusServer prometheus) =>
        [.. (await prometheus.AlertsAsync()).Where(a => a.Name is "RtdSiteBehind" or "RtdRealTimeStale" && a.Labels.GetValueOrDefault("site") == Site)];

    /// <summary>A real-time batch of <see cref="Agents"/> with a rising version every 250 ms, until cancelled.</summary>
    private async Task StreamRealTimeAsync(CancellationToken cancellationToken)
    {
        for (var version = 1L; !cancellationToken.IsCancellationRequested; version++)
        {
            await Rtd.PublishAsync(RealTimeTables.Agent, Agents, version);
            await Task.Delay(250, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
