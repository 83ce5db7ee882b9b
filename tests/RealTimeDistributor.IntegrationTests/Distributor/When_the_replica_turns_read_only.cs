using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// Issue 23: the replica refuses writes for 15 s (read-only, as a standby or a database in recovery does: SQLSTATE 25006)
/// while real-time rows flow and an operator edits. Both paths wait it out and are handed back to the queue past the lease;
/// nothing is parked, and the replica ends with the newest value of every row and the edit.
/// </summary>
public sealed class When_the_replica_turns_read_only : SystemTest
{
    private static readonly string[] Keys = [.. Enumerable.Range(1, 20).Select(i => $"ro-{i}")];

    protected override bool StartsDistributor => true;

    private readonly SeqStandIn _seq = SeqStandIn.Start();

    // a pool of the distributor's own (not shared with this test's reads, which this process's pool clearing would mask),
    // and its log events, to read what it says at Error
    protected override Dictionary<string, string?> DistributorSettings => new()
    {
        ["ConnectionStrings:Replica"] = TestSettings.ConnectionString(Rtd.ReplicaDatabase(Site)) + ";Application Name=rtd distributor under test",
        ["Seq:ServerUrl"] = _seq.Url.ToString(),
    };

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _seq.Dispose();
    }

    [Fact]
    public async Task Should_wait_it_out_on_both_paths_park_nothing_and_end_with_the_newest_values()
    {
        await SeedPeripheralAsync(); // 1
        await Rtd.WaitAppliedAsync(Site, 1);
        using var stop = new CancellationTokenSource();
        var sent = 0L;
        var feed = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Rtd.PublishAsync(RealTimeTables.Agent, Keys, Interlocked.Read(ref sent) + 1);
                Interlocked.Increment(ref sent);
                await Task.Delay(100); // the feed's pace, a round of every key each 100 ms: not a synchronisation
            }
        });
        await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, RealTimeTables.Agent), v => v.Count == Keys.Length, "the rows before the fault");

        await SetReadOnlyAsync(true);
        await using (var probe = new NpgsqlConnection(TestSettings.ConnectionString(Rtd.ReplicaDatabase(Site))))
        {
            await probe.OpenAsync();
            await using var write = new NpgsqlCommand("UPDATE sync_state SET site = site", probe);
            Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, (await Assert.ThrowsAsync<PostgresException>(() => write.ExecuteNonQueryAsync())).SqlState);
        }
        await PutAsync("agent", 101, new { name = "Edited while read-only", peripheralId = 1 }); // 2
        await Task.Delay(TimeSpan.FromSeconds(15)); // the fault itself: 15 s of a read-only replica under the feed, not a synchronisation
        await SetReadOnlyAsync(false);

        // a few rounds after the replica takes writes again, then the feed stops: the last round is the newest value
        var resumedAt = Interlocked.Read(ref sent);
        await Eventually.Until(() => Task.FromResult(Interlocked.Read(ref sent)), n => n >= resumedAt + 10, "ten more rounds of the feed");
        await stop.CancelAsync();
        await feed;
        var last = Interlocked.Read(ref sent);

        await Rtd.WaitAppliedAsync(Site, 2, TimeSpan.FromSeconds(60));
        Assert.Equal("Edited while read-only", await Rtd.QueryReplicaAsync<string>(Site, "SELECT name FROM agent WHERE id = 101"));
        var versions = await Eventually.Until(() => Rtd.ReplicaVersionsAsync(Site, RealTimeTables.Agent), v => v.Values.All(n => n == last),
            $"every row at round {last}", TimeSpan.FromSeconds(60));
        Assert.Equal(Keys.Order(), versions.Keys.Order());
        Assert.Null(await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.ErrorQueue(Topology.Central.DistributorRealTimeQueue(Site))));
        Assert.Null(await Rtd.Broker.QueueAsync(Rtd.CentralVirtualHost, Topology.ErrorQueue(Topology.Central.DistributorConfigQueue(Site))));

        // nothing at Error but the circuit breaker's word that the replica looks down (no R-FAULT/T-FAULT of a batch handed
        // back, no failed apply): the events up to the takeover after the fault have come once it has
        await Eventually.Until(() => Task.FromResult(_seq.Events.Count(e => Template(e).StartsWith("Took over site", StringComparison.Ordinal))), n => n >= 2,
            "the takeover after the fault in the log");
        Assert.Empty(_seq.Events.Where(e => SeqStandIn.Level(e) is "Error" or "Fatal" && !Template(e).Contains("the database looks down", StringComparison.Ordinal))
            .Select(e => e.GetRawText()));
    }

    private static string Template(System.Text.Json.JsonElement e) => SeqStandIn.Property(e, "@mt");

    /// <summary>Sets the replica database's read-only default and ends its sessions, so every new one (the pools reconnect) has it.</summary>
    private async Task SetReadOnlyAsync(bool readOnly)
    {
        var database = Rtd.ReplicaDatabase(Site);
        await ReplicaFaults.SetReadOnlyAsync(TestSettings.ConnectionString("postgres"), database, readOnly);
        // this test's own pooled connections to the replica are gone; the distributor finds out about its own
        await using var reads = new NpgsqlConnection(TestSettings.ConnectionString(database));
        NpgsqlConnection.ClearPool(reads);
    }
}
