using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// A/B failover under load, seen from a running client: two distributor processes of one site share its queues and its
/// replica; an in-process client follows the site; the active process is killed (SIGKILL) while configuration edits
/// (admin API) and real-time batches stream in. The client keeps working: every change made after the kill reaches it
/// through the standby, a gap it notices is healed by a snapshot the standby serves, and at the end its view equals the
/// central database (configuration, read from the central database) and the last published real-time versions, row for row. A second client started
/// after the kill can only be served by the standby, and holds the same view.
/// </summary>
public sealed class When_the_active_distributor_is_killed_while_a_client_runs(ITestOutputHelper output) : SystemTest
{
    private const int Agents = 50;
    private const int EditsBeforeKill = 150;
    private const int EditsAfterKill = 300;
    private static readonly string[] SkillGroups = [.. Enumerable.Range(1, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    protected override string SiteName => "k9";

    private async Task<int> ConsumersAsync(string vhost, string queue) => (await Rtd.Broker.QueueAsync(vhost, queue))?.Consumers ?? 0;

    [Fact]
    public async Task Should_keep_the_view_equal_to_the_center_through_the_standby()
    {
        await Rtd.EnsureSiteAsync(Site);
        await SeedPeripheralAsync();
        var active = Rtd.StartDistributorProcess(Site, "a");
        await Rtd.WaitAppliedAsync(Site, 1, TimeSpan.FromSeconds(90));
        Rtd.StartDistributorProcess(Site, "b");
        var siteVhost = Topology.Site.VirtualHost(Site);
        // a holds the site lease and consumes both central queues; b stands by, serving the site's snapshots only
        foreach (var (vhost, queue, consumers) in new[]
        {
            (Rtd.CentralVirtualHost, Topology.Central.DistributorConfigQueue(Site), 1),
            (Rtd.CentralVirtualHost, Topology.Central.DistributorRealTimeQueue(Site), 1),
            (siteVhost, Topology.Site.SnapshotQueue(Site), 2),
        })
        {
            await Eventually.Until(() => ConsumersAsync(vhost, queue), c => c == consumers, $"{consumers} consumers on {queue}", TimeSpan.FromSeconds(90));
        }

        var view = (await Rtd.StartClientAsync(Site, "ws1")).Services.GetRequiredService<ClientView>();
        await view.WaitForSnapshotsAsync(1);
        var seenEnough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(ViewRow row)
        {
            if (view.ConfigChanges >= EditsBeforeKill / 2 && view.RealTimeRows > 0)
            {
                seenEnough.TrySetResult();
            }
        }
        view.Changed += OnChanged;

        using var stop = new CancellationTokenSource();
        var realTime = StreamRealTimeAsync(stop.Token);
        var edits = 0;
        var lastKey = "";
        for (; edits < EditsBeforeKill; edits++)
        {
            lastKey = await EditAsync(edits);
        }
        await seenEnough.Task.WaitAsync(TimeSpan.FromSeconds(60));
        view.Changed -= OnChanged;
        var snapshotsBeforeKill = view.Snapshots;
        var epochBeforeKill = view.Epoch;
        var gapsBeforeKill = view.Gaps;
        active.Kill(entireProcessTree: true); // SIGKILL: no graceful stop, no last ack, no last publish
        await active.WaitForExitAsync();
        var appliedAtKill = await Rtd.AppliedSequenceAsync(Site);
        var committedAtKill = (await CentralBacklog.SequenceAsync(Rtd)).Last;
        output.WriteLine($"killed instance a at applied {appliedAtKill}, committed {committedAtKill}; client at site sequence {view.LastSiteSequence}");

        for (; edits < EditsBeforeKill + EditsAfterKill; edits++)
        {
            lastKey = await EditAsync(edits);
        }
        await stop.CancelAsync();
        var finalVersion = await realTime;
        await Rtd.PublishAsync(RealTimeTables.SkillGroup, SkillGroups, finalVersion + 1);
        var last = (await CentralBacklog.SequenceAsync(Rtd)).Last;

        // converged: the last committed change and the last real-time batch are in the view
        foreach (var key in SkillGroups)
        {
            await view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, key, r => r.Version == finalVersion + 1, TimeSpan.FromSeconds(120));
        }
        await view.WaitForAsync(SiteUpdate.ConfigKind, "agent", lastKey, r => r.Version == last, TimeSpan.FromSeconds(120));
        // a gap found among the updates buffered during a load starts another load just after the first one completes
        await Eventually.Until(() => Task.FromResult(view.IsLoading), loading => !loading, "the view to finish loading its snapshots");
        output.WriteLine($"client: {view.Snapshots} snapshots ({snapshotsBeforeKill} before the kill), {view.Gaps} gaps, {view.Duplicates} duplicates dropped, " +
            $"{view.ConfigChanges} config changes and {view.RealTimeRows} real-time rows applied");

        Assert.True(appliedAtKill < last, $"the kill came after every change was applied ({appliedAtKill} of {last})");
        Assert.True(committedAtKill < last, "no change was committed after the kill");
        // every gap the client noticed after the kill was healed by a snapshot, which only the standby could serve
        Assert.True(view.Snapshots >= snapshotsBeforeKill + (view.Gaps > gapsBeforeKill ? 1 : 0),
            $"{view.Gaps - gapsBeforeKill} gaps after the kill but {view.Snapshots - snapshotsBeforeKill} snapshots");
        await AssertViewEqualsCenterAsync(view, finalVersion + 1);
        // the standby took the site over under a higher epoch, and the client follows it
        Assert.True(view.Epoch > epochBeforeKill, $"the client's epoch {view.Epoch} after the kill, {epochBeforeKill} before it");

        // a client that starts now can only get its snapshot from the standby
        var late = (await Rtd.StartClientAsync(Site, "ws2")).Services.GetRequiredService<ClientView>();
        await late.WaitForSnapshotsAsync(1, TimeSpan.FromSeconds(60));
        await AssertViewEqualsCenterAsync(late, finalVersion + 1);
    }

    /// <summary>Edit i: every third one creates an agent, the others rename one of the first <see cref="Agents"/> agents; returns its key.</summary>
    private async Task<string> EditAsync(int i)
    {
        var id = i < Agents || i % 3 != 0 ? 1001 + (i % Agents) : 5000 + i;
        await PutAsync("agent", id, new { name = $"Agent {id} edit {i}", peripheralId = 1 });
        return id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Real-time batches of every skill group with rising versions, one every 20 ms, until cancelled; returns the last version.</summary>
    private async Task<long> StreamRealTimeAsync(CancellationToken cancellationToken)
    {
        var version = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            await Rtd.PublishAsync(RealTimeTables.SkillGroup, SkillGroups, ++version);
            try
            {
                await Task.Delay(20, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        return version;
    }

    private async Task AssertViewEqualsCenterAsync(ClientView view, long realTimeVersion)
    {
        var central = new SortedSet<string>(StringComparer.Ordinal);
        await using (var connection = new NpgsqlConnection(TestSettings.ConnectionString(Rtd.CentralDatabase)))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand(
                "SELECT 'peripheral', id, name, config_sequence FROM peripheral UNION ALL SELECT 'agent', id, name, config_sequence FROM agent", connection);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                central.Add($"{reader.GetString(0)}|{reader.GetInt64(1)}|{reader.GetString(2)}|{reader.GetInt64(3)}");
            }
        }
        var rows = view.Rows();
        var config = new SortedSet<string>(rows.Where(r => r.Kind == SiteUpdate.ConfigKind).Select(r =>
            $"{r.Table}|{r.Key}|{r.Value!.Value.GetProperty("name").GetString()}|{r.Value!.Value.GetProperty("configSequence").GetInt64()}"), StringComparer.Ordinal);
        Assert.Equal(central.Count, config.Count);
        Assert.Equal(central, config);
        Assert.All(rows.Where(r => r.Kind == SiteUpdate.ConfigKind), r => Assert.Equal(r.Value!.Value.GetProperty("configSequence").GetInt64(), r.Version));
        Assert.Equal(SkillGroups.ToDictionary(k => k, _ => realTimeVersion), view.Versions(RealTimeTables.SkillGroup));
        Assert.Equal(await Rtd.ReplicaVersionsAsync(Site, RealTimeTables.SkillGroup), view.Versions(RealTimeTables.SkillGroup));
    }
}
