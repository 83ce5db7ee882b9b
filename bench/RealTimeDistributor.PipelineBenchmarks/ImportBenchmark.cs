using System.Diagnostics;
using System.Text.Json;
using RealTimeDistributor.Cli;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// A whole contact center's configuration loaded through `rtd config import` (the command's own code: read the file,
/// compare with the center, send the differences to POST /api/config/batch in batches of 5,000), with a site's
/// distributor running: the import's time, and when the replica has applied the last change (the backlog the import
/// leaves behind). Baseline: the same changes read by the import, without sending them (the dry run).
/// </summary>
public static class ImportBenchmark
{
    public static async Task RunAsync(Report report, int agents)
    {
        var skillGroups = agents / 20;
        var callTypes = agents / 40;
        await using var system = await RtdSystem.StartAsync();
        var site = system.Site("import");
        await system.StartDistributorAsync(site, extra: new() { ["Serilog:MinimumLevel:Default"] = "Error" });
        var file = Path.Combine(Path.GetTempPath(), $"rtd-center-{agents}-{system.Id}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new Dictionary<string, object[]>
        {
            ["peripheral"] = [new { id = 1, name = "ACD 1", kind = "acd" }],
            ["skillgroup"] = [.. Enumerable.Range(1, skillGroups).Select(i => (object)new { id = i, name = $"Skill group {i}", peripheralId = 1 })],
            ["agent"] = [.. Enumerable.Range(1, agents).Select(i => (object)new { id = i, name = $"Agent {i}", peripheralId = 1 })],
            ["skillgroupmember"] = [.. Enumerable.Range(0, agents * 2).Select(i => (object)new
            {
                id = i + 1, agentId = i / 2 + 1, skillGroupId = (i / 2 + i % 2 * (skillGroups / 2)) % skillGroups + 1,
            })],
            ["calltype"] = [.. Enumerable.Range(1, callTypes).Select(i => (object)new { id = i, name = $"Call type {i}", serviceLevelSeconds = 20 })],
        }));
        var changes = 1 + skillGroups + agents + agents * 2 + callTypes;
        var group = $"config import ({agents:N0} agents, {skillGroups} skill groups, {agents * 2:N0} members, {callTypes} call types: {changes:N0} changes)";
        Console.WriteLine($"import: {group}");
        try
        {
            var dryRun = await Report.TimeAsync(() => ConfigCommand.ImportAsync(system.CentralApi, file, dryRun: true, Options.Parse([]), TextWriter.Null));
            var started = Stopwatch.StartNew();
            await ConfigCommand.ImportAsync(system.CentralApi, file, dryRun: false, Options.Parse([]), TextWriter.Null);
            var imported = started.Elapsed;
            var last = await system.CentralScalarAsync("SELECT last_value FROM config_sequence");
            await system.WaitAppliedAsync(site, last, TimeSpan.FromMinutes(10));
            var applied = started.Elapsed;
            report.Add(group, "dry run: read the file, compare with the center", dryRun.TotalSeconds, "s");
            report.Add(group, "rtd config import: committed at the center", imported.TotalSeconds, "s", "dry run: read the file, compare with the center");
            report.Add(group, "rtd config import: changes/s", changes / imported.TotalSeconds, "changes/s");
            report.Add(group, "replica applied the last change (from import start)", applied.TotalSeconds, "s", "rtd config import: committed at the center");
            report.Add(group, "import start to the replica applying the last change: changes/s", changes / applied.TotalSeconds, "changes/s");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
