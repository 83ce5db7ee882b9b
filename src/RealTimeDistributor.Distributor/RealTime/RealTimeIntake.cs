using System.Threading.Channels;
using Npgsql;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Distributor.Persistence;
using RealTimeDistributor.Distributor.Site;

namespace RealTimeDistributor.Distributor.RealTime;

/// <summary>
/// rtdist's batching: the consumer hands each valid real-time message here and waits; the loop takes every message
/// waiting (up to <see cref="MaxRows"/> rows), applies them with one bulk upsert, republishes the rows written, and
/// completes the waits once the site has confirmed them, which acks the messages (the next batch applies meanwhile).
/// While a batch applies, the loop takes and prepares the next (<see cref="RealTimeApplier.Prepare"/>: conflation and
/// the statement's parameters), so the site stream's apply lock holds only the database work. A
/// message that fails <see cref="RealTimeApplier.Validate"/> never gets here (the consumer sends it to the error queue on
/// its own), so one bad message does not fail the others. Should the database still refuse the combined upsert for its
/// data (SQLSTATE class 22 or 23), the messages are applied again in halves until the one it refuses is alone: that one
/// is poison, the others apply. If the database fails otherwise, every message of the batch fails and is retried.
/// </summary>
public sealed class RealTimeIntake(IServiceScopeFactory scopes, SiteStream site, DistributorSettings settings, DistributorStats stats, TimeProvider clock,
    ILogger<RealTimeIntake> logger) : BackgroundService
{
    /// <summary>Rows per database transaction; a backlog drains in batches of about this size.</summary>
    public const int MaxRows = 10_000;

    private readonly Channel<Pending> _waiting = Channel.CreateUnbounded<Pending>();

    private sealed record Pending(RealTimeRowsPublished Batch, TaskCompletionSource Done);

    /// <summary>Completes once the batch's rows are in the replica and the rows it changed are republished to the site.</summary>
    public async Task SubmitAsync(RealTimeRowsPublished batch, CancellationToken cancellationToken)
    {
        RealTimeApplier.Validate(batch, clock.GetUtcNow(), settings.RealTimeMaxAhead);
        var pending = new Pending(batch, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await _waiting.Writer.WriteAsync(pending, cancellationToken);
        await pending.Done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var applying = Task.CompletedTask; // the batch before: ApplyAsync completes once it is committed (it never throws)
        try
        {
            while (await _waiting.Reader.WaitToReadAsync(stoppingToken))
            {
                var taken = new List<Pending>();
                var rows = 0;
                while (rows < MaxRows && _waiting.Reader.TryRead(out var pending))
                {
                    taken.Add(pending);
                    rows += pending.Batch.Rows.Count;
                }
                stats.RealTimeTaken(taken.Count);
                var prepared = Prepare(taken);
                await applying;
                applying = ApplyAsync(taken, prepared, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await applying;
        while (_waiting.Reader.TryRead(out var left))
        {
            left.Done.TrySetCanceled(stoppingToken);
        }
    }

    private static RealTimeApplier.Prepared Prepare(List<Pending> taken) => RealTimeApplier.Prepare([.. taken.Select(p => p.Batch)]);

    /// <summary>Returns once the batch is committed, so the next one applies while this one's publish is confirmed; never throws.</summary>
    private async Task ApplyAsync(List<Pending> taken, RealTimeApplier.Prepared prepared, CancellationToken cancellationToken)
    {
        try
        {
            var published = await site.ApplyAsync(new RealTimeBatch(scopes, prepared), cancellationToken);
            _ = CompleteWhenPublishedAsync(published, taken);
        }
        catch (PostgresException exception) when (PoisonMessageException.IsDataError(exception) && taken.Count > 1)
        {
            logger.LogWarning("The database refused the data of {Messages} real-time messages applied together ({Reason}); applying them in halves",
                taken.Count, exception.MessageText);
            await ApplyAsync(taken[..(taken.Count / 2)], Prepare(taken[..(taken.Count / 2)]), cancellationToken);
            await ApplyAsync(taken[(taken.Count / 2)..], Prepare(taken[(taken.Count / 2)..]), cancellationToken);
        }
        catch (PostgresException exception) when (PoisonMessageException.IsDataError(exception))
        {
            taken[0].Done.TrySetException(new PoisonMessageException(
                $"The replica refuses the rows of this message ({taken[0].Batch.Table}): {exception.SqlState} {exception.MessageText}"));
        }
        catch (Exception exception)
        {
            if (exception is not OperationCanceledException and not NotLeaseHolderException)
            {
                logger.LogError(exception, "Applying {Messages} real-time messages failed; they will be retried", taken.Count);
            }
            taken.ForEach(p => p.Done.TrySetException(exception));
        }
    }

    /// <summary>Real-time messages applied together on the site stream: <see cref="RealTimeApplier.ApplyAsync(RealTimeApplier.Prepared, LeaseGrant, CancellationToken)"/> in a scope of its own.</summary>
    private sealed class RealTimeBatch(IServiceScopeFactory scopes, RealTimeApplier.Prepared prepared) : ISiteCommit
    {
        public async Task<IReadOnlyList<SiteUpdate>> CommitAsync(LeaseGrant grant, CancellationToken cancellationToken)
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<RealTimeApplier>().ApplyAsync(prepared, grant, cancellationToken);
        }
    }

    private static async Task CompleteWhenPublishedAsync(Task published, List<Pending> taken)
    {
        try
        {
            await published;
            taken.ForEach(p => p.Done.TrySetResult());
        }
        catch (Exception exception)
        {
            // the stream stopped before the broker confirmed: the messages are not acked and come back
            taken.ForEach(p => p.Done.TrySetException(exception));
        }
    }
}
