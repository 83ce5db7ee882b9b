using System.Diagnostics;
using System.Net;
using Npgsql;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Distributor;

/// <summary>
/// A/B redundancy: two distributor processes of one site share its queues (single active consumer) and its replica.
/// The active one is killed (SIGKILL) in the middle of a burst of 10,000 changes; the standby finishes, and the replica
/// equals the central database row for row.
/// </summary>
public sealed class When_the_active_distributor_is_killed_during_a_burst : IAsyncLifetime
{
    private const int Burst = 10_000;
    private RtdSystem _system = null!;
    private string _site = "";

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        _site = _system.Site("ab");
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    private Process StartDistributor(string instance) => _system.StartProcess("RealTimeDistributor.Distributor", new()
    {
        ["Distributor__Site"] = _site,
        ["Distributor__Instance"] = instance,
        ["ConnectionStrings__Replica"] = TestSettings.ConnectionString(_system.ReplicaDatabase(_site)),
    });

    private async Task<bool> ReplicaReadyAsync()
    {
        try
        {
            return await _system.QueryReplicaAsync<long>(_site, "SELECT count(*) FROM sync_state") == 1;
        }
        catch (PostgresException exception) when (exception.SqlState is PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.UndefinedTable)
        {
            return false; // the instance is still creating its replica
        }
    }

    private Task<long> AppliedAsync() => _system.QueryReplicaAsync<long>(_site, "SELECT coalesce(max(applied_config_sequence), 0) FROM sync_state");

    [Fact]
    public async Task Should_let_the_standby_finish_with_no_change_lost_and_no_row_duplicated()
    {
        await _system.EnsureSiteAsync(_site);
        Assert.Equal(HttpStatusCode.OK, (await _system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode);
        var active = StartDistributor("a");
        await Eventually.Until(ReplicaReadyAsync, ready => ready, "instance a to create the replica", TimeSpan.FromSeconds(90));
        await Eventually.Until(AppliedAsync, a => a == 1, "instance a to load the replica", TimeSpan.FromSeconds(90));
        var configQueue = RealTimeDistributor.Hosting.Topology.Central.DistributorConfigQueue(_site);
        StartDistributor("b");
        await Eventually.Until(async () => (await _system.Broker.QueueAsync(_system.CentralVirtualHost, configQueue))?.Consumers ?? 0,
            c => c == 2, "both instances on the config queue", TimeSpan.FromSeconds(90));

        await CentralBacklog.CommitAgentsAsync(_system.CentralDatabase, Burst);
        await Eventually.Until(AppliedAsync, a => a > 1 + Burst / 10, "instance a to be part-way through the burst", TimeSpan.FromSeconds(120));
        active.Kill(entireProcessTree: true); // SIGKILL: no graceful stop, no last ack
        await active.WaitForExitAsync();
        var appliedAtKill = await AppliedAsync();

        await Eventually.Until(AppliedAsync, a => a == Burst + 1, "the standby to finish the burst", TimeSpan.FromMinutes(5));

        Assert.True(appliedAtKill < Burst + 1, $"the kill came after the burst was applied ({appliedAtKill})");
        var central = await AgentsAsync(_system.CentralDatabase);
        var replica = await AgentsAsync(_system.ReplicaDatabase(_site));
        Assert.Equal(Burst, central.Count);
        Assert.Equal(central, replica);
        // change 1 came with instance a's first-start snapshot; every change of the burst was applied exactly once
        Assert.Equal((long)Burst, await _system.QueryReplicaAsync<long>(_site, "SELECT count(DISTINCT central_sequence) FROM config_apply_log WHERE central_sequence > 1"));
        Assert.Equal((long)Burst, await _system.QueryReplicaAsync<long>(_site, "SELECT count(*) FROM config_apply_log"));
    }

    private static async Task<List<string>> AgentsAsync(string database)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(database));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, name, peripheral_id, config_sequence FROM agent ORDER BY id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetInt64(0)}|{reader.GetString(1)}|{reader.GetInt64(2)}|{reader.GetInt64(3)}");
        }
        return rows;
    }
}
