using System.Net;
using Npgsql;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Hosting;

/// <summary>
/// Error is for what needs a person (issue 23): the first start of a center and a distributor on new databases (migrations
/// that create every table, a first-start snapshot, the site lease taken) and a first edit log no Error or Fatal event.
/// Before, EF Core logged "Failed executing DbCommand" on a __EFMigrationsHistory not there yet at every first start on
/// a database made beforehand.
/// </summary>
public sealed class When_a_host_starts_for_the_first_time
{
    [Fact]
    public async Task Should_log_no_error_event()
    {
        using var seq = SeqStandIn.Start();
        var logs = new Dictionary<string, string?> { ["Seq:ServerUrl"] = seq.Url.ToString(), ["Serilog:MinimumLevel:Default"] = "Information" };

        // empty databases made beforehand, as an operator's script makes them (infra/postgres/apply-roles.sh): EF Core finds
        // no __EFMigrationsHistory in them (in a database it creates itself it does not look)
        var id = RtdSystem.NewId();
        var site = $"t{id}-first";
        await using (var admin = new NpgsqlConnection(TestSettings.ConnectionString("postgres")))
        {
            await admin.OpenAsync();
            foreach (var database in new[] { $"rtd_test_{id}_central", $"rtd_test_{site.Replace('-', '_')}" })
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
                await create.ExecuteNonQueryAsync();
            }
        }
        await using var system = await RtdSystem.StartAsync(logs, id);
        Assert.Equal(site, system.Site("first"));
        await system.StartDistributorAsync(site, extra: logs);
        Assert.Equal(HttpStatusCode.OK, (await system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" })).StatusCode);
        await system.WaitAppliedAsync(site, 1);

        // each host posts its events in order: once one from after its start has come, so has everything of the start
        await seq.WaitForAsync(e => SeqStandIn.Property(e, "Process") == "central" && Template(e).StartsWith("Application started", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
        await seq.WaitForAsync(e => SeqStandIn.Property(e, "Site") == site && Template(e).StartsWith("Consuming the real-time queue", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
        var events = seq.Events;
        Assert.Contains(events, e => SeqStandIn.Property(e, "Site") == site && SeqStandIn.Level(e) == "Warning"); // the log is read: the takeover, the first load
        Assert.Empty(events.Where(e => SeqStandIn.Level(e) is "Error" or "Fatal").Select(e => e.GetRawText()));
    }

    private static string Template(System.Text.Json.JsonElement e) => SeqStandIn.Property(e, "@mt");
}
