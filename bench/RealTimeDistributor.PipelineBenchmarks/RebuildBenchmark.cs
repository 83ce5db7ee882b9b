using System.Net;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>Replica rebuild: a new site's distributor loads the central snapshot of N entities and follows the stream from its watermark.</summary>
public static class RebuildBenchmark
{
    public static async Task RunAsync(Report report, int[] sizes)
    {
        foreach (var size in sizes)
        {
            Console.WriteLine($"rebuild: {size:N0} entities");
            await using var system = await RtdSystem.StartAsync();
            if ((await system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException("seed failed");
            }
            await CentralBacklog.CommitAgentsAsync(system.CentralDatabase, size);
            // the relay's publishing of the backlog is not part of a rebuild: let it finish first
            await Eventually.Until(() => CentralBacklog.SequenceAsync(system), s => s.Published == size + 1, "the relay", TimeSpan.FromMinutes(5));
            var site = system.Site("rebuild");
            var rebuild = await Report.TimeAsync(async () =>
            {
                await system.StartDistributorAsync(site, extra: new() { ["Serilog:MinimumLevel:Default"] = "Error" });
                await system.WaitAppliedAsync(site, size + 1, TimeSpan.FromMinutes(10));
            });
            report.Add($"replica rebuild ({size:N0} entities)", "first start to replica at watermark (incl. host start)", rebuild.TotalSeconds, "s");
        }
    }
}
