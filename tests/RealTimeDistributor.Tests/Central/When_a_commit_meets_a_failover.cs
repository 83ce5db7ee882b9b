using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using RealTimeDistributor.Central.ChangeLog;

namespace RealTimeDistributor.Tests.Central;

/// <summary>
/// <see cref="CommitRetry"/>'s rules, without a database: what a failed attempt means decides whether it is run again,
/// looked up first, or given up on (the real failover: CentralDatabase/When_the_central_database_primary_is_killed).
/// </summary>
public sealed class When_a_commit_meets_a_failover
{
    private static readonly Exception ConnectionLost = new NpgsqlException("Exception while reading from stream", new EndOfStreamException());

    private static readonly PostgresException ReadOnly = new("cannot execute UPDATE in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction);

    private static readonly PostgresException AdminShutdown = new("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown);

    private readonly CommitRetry _retry = new(NullLogger.Instance);

    [Fact]
    public void Should_take_a_lost_connection_or_a_shutdown_during_the_commit_for_an_unknown_outcome_and_a_server_error_for_a_rollback()
    {
        Assert.True(CommitRetry.OutcomeUnknown(ConnectionLost));
        Assert.True(CommitRetry.OutcomeUnknown(AdminShutdown));
        Assert.False(CommitRetry.OutcomeUnknown(ReadOnly));
        Assert.False(CommitRetry.OutcomeUnknown(new InvalidOperationException("not a database error")));
    }

    [Fact]
    public async Task Should_answer_a_commit_found_committed_without_making_it_again()
    {
        var attempts = 0;
        var result = await _retry.RunAsync(Guid.NewGuid(), _ => ++attempts == 1 ? throw ConnectionLost : Task.FromResult("made twice"),
            () => true, _ => Task.FromResult<string?>("found"), CancellationToken.None);
        Assert.Equal("found", result);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Should_run_a_commit_again_once_it_is_known_not_to_have_gone_through()
    {
        var attempts = 0;
        var lookUps = 0;
        var result = await _retry.RunAsync(Guid.NewGuid(), _ => ++attempts == 1 ? throw ConnectionLost : Task.FromResult("made"),
            () => true, _ => { lookUps++; return Task.FromResult<string?>(null); }, CancellationToken.None);
        Assert.Equal("made", result);
        Assert.Equal((2, 1), (attempts, lookUps));
    }

    [Fact]
    public async Task Should_run_again_without_a_look_up_when_the_commit_was_not_sent_or_the_server_rolled_it_back()
    {
        foreach (var (failure, sent) in new[] { (ConnectionLost, false), ((Exception)ReadOnly, true) })
        {
            var attempts = 0;
            var result = await _retry.RunAsync(Guid.NewGuid(), _ => ++attempts == 1 ? throw failure : Task.FromResult("made"),
                () => sent, _ => throw new InvalidOperationException("looked up"), CancellationToken.None);
            Assert.Equal(("made", 2), (result, attempts));
        }
    }

    [Fact]
    public async Task Should_not_retry_an_error_that_is_not_the_database_being_away()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(() => _retry.RunAsync<string>(Guid.NewGuid(),
            _ => { attempts++; throw new InvalidOperationException("a bug"); }, () => true, _ => Task.FromResult<string?>(null), CancellationToken.None));
        Assert.Equal(1, attempts);
    }
}
