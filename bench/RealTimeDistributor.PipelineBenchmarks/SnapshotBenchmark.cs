using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor;
using RealTimeDistributor.Distributor.RealTime;
using RealTimeDistributor.Distributor.Site;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// A client workstation's initial load: from the start of a client host until its view holds the site snapshot of N
/// real-time rows (request, chunks of 1,000 rows from the distributor's replica, load); baseline: reading the same
/// rows from the replica with plain Npgsql in the same run.
/// </summary>
public static class SnapshotBenchmark
{
    public static async Task RunAsync(Report report, int[] sizes)
    {
        foreach (var size in sizes)
        {
            Console.WriteLine($"snapshot: {size:N0} rows");
            await using var system = await RtdSystem.StartAsync();
            var site = system.Site("snapshot");
            var quiet = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" };
            var distributor = await system.StartDistributorAsync(site, extra: quiet);
            var connectionString = TestSettings.ConnectionString(system.ReplicaDatabase(site));
            await using (var dataSource = NpgsqlDataSource.Create(connectionString))
            {
                // commits are fenced by the site lease: the running distributor's
                var lease = distributor.Services.GetRequiredService<SiteLease>();
                var grant = (await lease.WaitAsync(CancellationToken.None)).Grant;
                var applier = new RealTimeApplier(dataSource, new DistributorSettings(site, "bench"), new DistributorStats(), TimeProvider.System);
                var now = DateTimeOffset.UtcNow;
                foreach (var chunk in Enumerable.Range(0, size).Chunk(RealTimeIntake.MaxRows))
                {
                    await applier.ApplyAsync([new RealTimeRowsPublished(RealTimeTables.Agent, false, now, [.. chunk.Select(i =>
                        new RealTimeRow($"{i}", 1, now, Json.ToElement(new { state = "ready", reason = 0, secondsInState = i % 600, skillGroupId = 10 + i % 7 })))])],
                        grant, CancellationToken.None);
                }
            }

            var group = $"client snapshot ({size:N0} real-time rows)";
            var started = Stopwatch.GetTimestamp();
            var view = (await system.StartClientAsync(site, "bench", quiet)).Services.GetRequiredService<ClientView>();
            await view.WaitForSnapshotsAsync(1, TimeSpan.FromMinutes(5));
            var load = Stopwatch.GetElapsedTime(started);
            var shown = view.Rows().Count(r => r.Kind == SiteUpdate.RealTimeKind);
            if (shown < size)
            {
                throw new InvalidOperationException($"the view holds {shown} rows, not {size}");
            }
            report.Add(group, "client start until its view holds the snapshot", load.TotalSeconds, "s", "raw database: read the rows");

            var read = await Report.TimeAsync(async () =>
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("SELECT table_name, key, version, central_updated_at, data::text FROM realtime_row", connection);
                await using var reader = await command.ExecuteReaderAsync();
                var rows = 0;
                while (await reader.ReadAsync())
                {
                    _ = (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
                    rows++;
                }
            });
            report.Add(group, "raw database: read the rows", read.TotalSeconds, "s");
        }
    }
}
