using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Lease;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime;

/// <summary>
/// The statistics engine across a takeover. The active center writes the engine's window counters
/// (<see cref="StatisticsEngine.Export"/>) to the single row of <c>statistics_checkpoint</c> every
/// <c>Central:Checkpoint:Interval</c>, fenced by its lease epoch; a center starting a new term loads the configuration,
/// restores the counters from that row (<see cref="StatisticsEngine.Restore"/>) and marks every known peripheral as owing
/// a resync (<see cref="GatewayActivity.Reset"/>: its rows show <c>uncertain</c> until the resync comes), so the counts of the
/// current half hour and of today go on from the checkpoint instead of zero. The activity between the last checkpoint and
/// the takeover that the old center had acked is not counted (at most one interval of it).
/// </summary>
public sealed class StatisticsCheckpoints(IServiceScopeFactory scopes, StatisticsEngine engine, IActivitySource source, CentralLease lease,
    CentralLeaseOptions options, TimeProvider clock, ILogger<StatisticsCheckpoints> logger)
{
    private const string SaveSql = $"""
        INSERT INTO statistics_checkpoint (id, epoch, taken_at, state)
        SELECT 1, @epoch, @takenAt, @state::jsonb WHERE {CentralLease.FenceSql}
        ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, taken_at = excluded.taken_at, state = excluded.state
        """;

    private long _restoredEpoch = -1;
    private DateTimeOffset _savedAt;

    /// <summary>The start of <paramref name="term"/>: nothing if this process already runs its epoch, else the checkpoint restored.</summary>
    public async Task TakeOverAsync(CentralTerm term, CancellationToken cancellationToken)
    {
        if (term.Epoch == _restoredEpoch)
        {
            return;
        }
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CentralDbContext>();
        var configuration = await StatisticsConfigurationLoader.LoadAsync(db, cancellationToken);
        source.Configure(configuration, now);
        engine.Configure(configuration, now);
        var row = await db.StatisticsCheckpoint.AsNoTracking().SingleOrDefaultAsync(cancellationToken);
        engine.Restore(row is null ? null : JsonSerializer.Deserialize<StatisticsCheckpoint>(row.State, Json.Options));
        (source as GatewayActivity)?.Reset(now);
        (_restoredEpoch, _savedAt) = (term.Epoch, now);
        if (row is null)
        {
            logger.LogWarning("Statistics at central epoch {Epoch} start from zero (no checkpoint yet); every peripheral is asked for a resync", term.Epoch);
        }
        else
        {
            logger.LogWarning("Statistics at central epoch {Epoch} start from the checkpoint of epoch {CheckpointEpoch} taken at {TakenAt} ({Age} before); every peripheral is asked for a resync",
                term.Epoch, row.Epoch, row.TakenAt, now - row.TakenAt);
        }
    }

    /// <summary>Writes the checkpoint if <c>Central:Checkpoint:Interval</c> has passed since the last; a refused write ends the term.</summary>
    public async Task SaveWhenDueAsync(CentralTerm term, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now - _savedAt < options.CheckpointInterval)
        {
            return;
        }
        var state = JsonSerializer.Serialize(engine.Export(), Json.Options);
        await using var connection = await lease.OpenAsync(cancellationToken);
        await using var command = lease.Fenced(connection, SaveSql, term);
        command.Parameters.AddWithValue("takenAt", now);
        command.Parameters.AddWithValue("state", state);
        if (await command.ExecuteNonQueryAsync(cancellationToken) == 0)
        {
            lease.Refused(term);
            return;
        }
        _savedAt = now;
    }
}
