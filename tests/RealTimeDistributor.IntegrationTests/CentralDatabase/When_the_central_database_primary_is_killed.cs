using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.CentralDatabase;

/// <summary>
/// The central database under Patroni (infra/postgres/ha.sh: two PostgreSQL with a synchronous standby, HAProxy following
/// the leader): the center connects through HAProxy, a site's distributor and a client run as usual. Writers send an
/// edit burst through the admin API; part-way the primary's machine is lost (SIGKILL of its Patroni and PostgreSQL) and
/// Patroni promotes the standby. Every acknowledged edit is then at the center, in the replica and in the client's view
/// exactly once, the change log is gapless with one change per sequence (the replica applied the same change at each),
/// an edit answered 503 is there at most once, and the center takes edits again after the promotion (the time without
/// an accepted edit is printed; docs/reliability.md).
/// </summary>
public sealed class When_the_central_database_primary_is_killed(ITestOutputHelper output) : SystemTest
{
    private const int Writers = 3;

    private const int EditsPerWriter = 300;

    /// <summary>Acknowledged edits before the primary is killed.</summary>
    private const int KillAfter = 200;

    private readonly string _database = $"rtd_test_ha_{RtdSystem.NewId()}";

    private CentralDatabaseCluster _cluster = null!;

    protected override string SiteName => "ha";

    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    protected override Dictionary<string, string?>? CentralSettings => new() { ["ConnectionStrings:Central"] = CentralDatabaseCluster.ConnectionString(_database) };

    public override async Task InitializeAsync()
    {
        _cluster = await CentralDatabaseCluster.UpAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _cluster.ReleaseAsync(_database);
    }

    private sealed record Answer(long Id, HttpStatusCode Status, long? Sequence, TimeSpan At);

    [Fact]
    public async Task Should_keep_every_acknowledged_edit_once_and_the_sequence_gapless_when_patroni_promotes_the_standby()
    {
        await SeedPeripheralAsync();
        var answers = new ConcurrentQueue<Answer>();
        var clock = Stopwatch.StartNew();
        var acknowledged = 0;
        var killedAt = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task WriteAsync(int writer)
        {
            for (var n = 0; n < EditsPerWriter; n++)
            {
                var id = 1001 + (writer * EditsPerWriter) + n;
                using var response = await Rtd.CentralApi.PutAsJsonAsync($"/api/config/agent/{id}", new { name = $"Agent {id}", peripheralId = 1 });
                long? sequence = response.StatusCode == HttpStatusCode.OK
                    ? (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("sequence").GetInt64() : null;
                Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable,
                    $"edit of agent {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                answers.Enqueue(new Answer(id, response.StatusCode, sequence, clock.Elapsed));
                if (sequence is not null && Interlocked.Increment(ref acknowledged) == KillAfter)
                {
                    var killed = await CentralDatabaseCluster.KillPrimaryAsync();
                    killedAt.SetResult(clock.Elapsed);
                    output.WriteLine($"killed the primary {killed} after {KillAfter} acknowledged edits, at {clock.Elapsed.TotalSeconds:F1} s");
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(w))));
        var kill = await killedAt.Task.WaitAsync(TimeSpan.FromSeconds(1));

        var acked = answers.Where(a => a.Sequence is not null).ToDictionary(a => a.Id, a => a.Sequence!.Value);
        var refused = answers.Where(a => a.Sequence is null).Select(a => a.Id).ToList();
        var ackTimes = answers.Where(a => a.Sequence is not null).Select(a => a.At).Order().ToList();
        var afterKill = ackTimes.Where(t => t > kill).ToList();
        Assert.NotEmpty(afterKill); // the center takes edits again after the promotion
        var longestPause = ackTimes.Zip(ackTimes.Skip(1), (a, b) => b - a).Max();
        output.WriteLine($"{acked.Count} edits acknowledged, {refused.Count} answered 503; first acknowledgment after the kill " +
            $"{(afterKill[0] - kill).TotalSeconds:F1} s after it; longest time without an accepted edit {longestPause.TotalSeconds:F1} s; " +
            $"new leader {await CentralDatabaseCluster.LeaderAsync()}");

        // the center: gapless, one change per sequence, each acknowledged edit once at the sequence it was answered
        var log = await CenterLogAsync();
        var last = log.Count == 0 ? 0 : log[^1].Sequence;
        Assert.Equal(Enumerable.Range(1, (int)last).Select(s => (long)s), log.Select(e => e.Sequence));
        var byKey = log.Where(e => e.Table == "agent").GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Select(e => e.Sequence).ToList());
        foreach (var (id, sequence) in acked)
        {
            Assert.Equal([sequence], byKey.GetValueOrDefault(id.ToString(System.Globalization.CultureInfo.InvariantCulture)) ?? []);
        }
        foreach (var id in refused)
        {
            Assert.True((byKey.GetValueOrDefault(id.ToString(System.Globalization.CultureInfo.InvariantCulture))?.Count ?? 0) <= 1, $"agent {id} (answered 503) is logged twice");
        }
        Assert.Equal(log.Count - 1, byKey.Values.Sum(s => s.Count)); // besides the peripheral, only the burst's agents

        // the site: the replica applied each sequence once, the same change the center logged there, and holds every agent
        await Rtd.WaitAppliedAsync(Site, last, TimeSpan.FromSeconds(120));
        var applied = await ReplicaLogAsync();
        Assert.Equal(log, applied);
        Assert.Equal(byKey.Count, await Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM agent"));

        // the client's view: every acknowledged agent, at its sequence
        foreach (var (id, sequence) in acked)
        {
            var row = await View.WaitForAsync(SiteUpdate.ConfigKind, "agent", id.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => true);
            Assert.Equal(sequence, row.Value!.Value.GetProperty("configSequence").GetInt64());
        }
    }

    private sealed record LogEntry(long Sequence, string Table, string Operation, string Key);

    private async Task<List<LogEntry>> CenterLogAsync() =>
        await LogAsync(CentralDatabaseCluster.ConnectionString(_database), "SELECT sequence, \"table\", operation, key FROM config_change_log ORDER BY sequence");

    private async Task<List<LogEntry>> ReplicaLogAsync() =>
        await LogAsync(TestSettings.ConnectionString(Rtd.ReplicaDatabase(Site)), "SELECT central_sequence, \"table\", operation, key FROM config_apply_log ORDER BY central_sequence");

    private static async Task<List<LogEntry>> LogAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var entries = new List<LogEntry>();
        while (await reader.ReadAsync())
        {
            entries.Add(new LogEntry(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
        }
        return entries;
    }
}
