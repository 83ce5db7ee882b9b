using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Issue 14: catch-up after a WAN cut. The center commits configuration changes at a steady rate (renames of 1,000 agents,
/// commits of 100 every 100 ms: 1,000 changes/s) and publishes real-time rows (1,000 agent rows a second); a site's
/// distributor consumes the center through a <see cref="FaultProxy"/> that is cut for the given time, then restored.
/// Measured from the restore: the backlog, the time until the replica holds every change committed up to the restore
/// (the catch-up rate is backlog / that time, while the load goes on), and the time until the site's client is fresh
/// again (its view holds that change and hears the center is back). Two topologies in the same run, one after the other,
/// same load: "own stack" (site broker node and PostgreSQL instance of its own, <see cref="SiteStack"/>) and "one broker"
/// (site vhost and replica on the central broker and database).
/// </summary>
public static class WanBenchmark
{
    private const int Agents = 1_000;
    private const int PerCommit = 100;

    public static async Task RunAsync(Report report, TimeSpan cut)
    {
        await using var stack = await SiteStack.StartAsync();
        await using var system = await RtdSystem.StartAsync();
        if ((await system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("seed failed");
        }
        await CentralBacklog.CommitAgentsAsync(system.CentralDatabase, Agents);
        await Eventually.Until(() => CentralBacklog.SequenceAsync(system), s => s.Published == Agents + 1, "the relay", TimeSpan.FromMinutes(2));
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(ConfigLoadAsync(system, stop.Token), RealTimeLoadAsync(system, stop.Token));
        try
        {
            foreach (var ownStack in new[] { true, false })
            {
                await MeasureAsync(report, system, stack, ownStack, cut);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await load;
        }
    }

    private static async Task MeasureAsync(Report report, RtdSystem system, SiteStack stack, bool ownStack, TimeSpan cut)
    {
        var topology = ownStack ? "own stack" : "one broker";
        var site = system.Site(ownStack ? "wan" : "one");
        var replica = ownStack ? SiteStack.ConnectionString(system.ReplicaDatabase(site)) : TestSettings.ConnectionString(system.ReplicaDatabase(site));
        await using var wan = new FaultProxy(new IPEndPoint(IPAddress.Loopback, 0), TestSettings.RabbitHost, TestSettings.RabbitPort);
        wan.Start();
        var quiet = new Dictionary<string, string?> { ["Serilog:MinimumLevel:Default"] = "Error" };
        var distributor = new Dictionary<string, string?>(quiet) { ["RabbitMq:Port"] = wan.Port.ToString(CultureInfo.InvariantCulture) };
        var client = new Dictionary<string, string?>(quiet);
        if (ownStack)
        {
            await stack.AddSiteAsync(site, system.ReplicaDatabase(site));
            foreach (var (key, value) in SiteStack.Broker("SiteRabbitMq"))
            {
                distributor[key] = value;
            }
            foreach (var (key, value) in SiteStack.Broker("RabbitMq"))
            {
                client[key] = value;
            }
            distributor["ConnectionStrings:Replica"] = replica;
        }
        await system.StartDistributorAsync(site, extra: distributor);
        var view = (await system.StartClientAsync(site, "bench", client)).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));

        Console.WriteLine($"wan ({topology}): cut for {cut.TotalSeconds:0} s under load");
        wan.Cut();
        await Task.Delay(cut);
        var head = (await CentralBacklog.SequenceAsync(system)).Last;
        var backlog = head - await AppliedAsync(replica);
        wan.Restore();
        var restored = Stopwatch.StartNew();
        await Eventually.Until(() => AppliedAsync(replica), a => a >= head, $"{topology}: the replica at change {head}", TimeSpan.FromMinutes(10));
        var caughtUp = restored.Elapsed;
        await Eventually.Until(() => Task.FromResult(Freshest(view)), s => s >= head && view.CenterUnreachableSince is null,
            $"{topology}: the client at change {head}", TimeSpan.FromMinutes(10));
        var fresh = restored.Elapsed;
        Console.WriteLine($"  backlog {backlog:N0} changes, replica caught up in {caughtUp.TotalSeconds:0.0} s, client fresh in {fresh.TotalSeconds:0.0} s");
        var group = $"WAN cut of {cut.TotalSeconds:0} s at 1,000 changes/s + real-time";
        report.Add(group, $"{topology}: backlog at restore", backlog, "changes");
        report.Add(group, $"{topology}: replica caught up after restore", caughtUp.TotalSeconds, "s");
        report.Add(group, $"{topology}: catch-up rate (backlog / time, load going on)", backlog / caughtUp.TotalSeconds, "changes/s",
            ownStack ? null : "own stack: catch-up rate (backlog / time, load going on)");
        report.Add(group, $"{topology}: client fresh after restore", fresh.TotalSeconds, "s");
    }

    /// <summary>The highest central sequence among the configuration rows of the view.</summary>
    private static long Freshest(ClientView view) =>
        view.Rows().Where(r => r.Kind == SiteUpdate.ConfigKind).Select(r => r.Version).DefaultIfEmpty(0).Max();

    private static async Task<long> AppliedAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT coalesce(max(applied_config_sequence), 0) FROM sync_state", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>1,000 changes/s: a commit of 100 agent renames every 100 ms, paced on the clock.</summary>
    private static async Task ConfigLoadAsync(RtdSystem system, CancellationToken stop)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(system.CentralDatabase));
        await connection.OpenAsync(CancellationToken.None);
        var start = Stopwatch.GetTimestamp();
        for (var round = 0L; !stop.IsCancellationRequested; round++)
        {
            var ids = Enumerable.Range(0, PerCommit).Select(k => 1001L + (((round * PerCommit) + k) % Agents)).ToArray();
            await CentralBacklog.RenameAgentsAsync(connection, ids, [.. ids.Select(id => $"Agent {id} r{round}")]);
            var due = TimeSpan.FromMilliseconds((round + 1) * 100) - Stopwatch.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, CancellationToken.None);
            }
        }
    }

    /// <summary>Real-time: 1,000 agent rows a second, a new version each.</summary>
    private static async Task RealTimeLoadAsync(RtdSystem system, CancellationToken stop)
    {
        var keys = Enumerable.Range(1, Agents).Select(k => k.ToString(CultureInfo.InvariantCulture)).ToArray();
        for (var version = 1L; !stop.IsCancellationRequested; version++)
        {
            await system.PublishAsync("agent", keys, version);
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
        }
    }
}
