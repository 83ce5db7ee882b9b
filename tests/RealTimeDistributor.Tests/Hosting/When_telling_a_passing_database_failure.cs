using Npgsql;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Hosting;

/// <summary>
/// Which database refusals are waited out (<see cref="Resilience.IsTransient"/>) and which need new connections: a replica
/// that is read-only, in recovery or restarting comes back (issue 23); a refusal of the data never does.
/// </summary>
public sealed class When_telling_a_passing_database_failure
{
    private static PostgresException Refusal(string sqlState) => new("refused", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction)] // a standby, a database made read-only
    [InlineData(PostgresErrorCodes.CannotConnectNow)] // starting up, in recovery
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.ConnectionFailure)]
    [InlineData(PostgresErrorCodes.TooManyConnections)]
    public void Should_wait_out_a_replica_that_is_read_only_in_recovery_or_restarting(string sqlState)
    {
        Assert.True(Resilience.IsTransient(Refusal(sqlState)));
        Assert.True(Resilience.IsTransient(new InvalidOperationException("wrapped", Refusal(sqlState))));
    }

    [Theory]
    [InlineData(PostgresErrorCodes.UniqueViolation)]
    [InlineData(PostgresErrorCodes.NumericValueOutOfRange)]
    [InlineData(PostgresErrorCodes.UndefinedTable)]
    public void Should_not_wait_out_a_refusal_of_the_data(string sqlState) => Assert.False(Resilience.IsTransient(Refusal(sqlState)));

    [Fact]
    public void Should_want_new_connections_after_a_read_only_refusal_or_a_lost_connection_only()
    {
        Assert.True(Resilience.NeedsNewConnections(Refusal(PostgresErrorCodes.ReadOnlySqlTransaction)));
        Assert.True(Resilience.NeedsNewConnections(Refusal(PostgresErrorCodes.AdminShutdown)));
        Assert.False(Resilience.NeedsNewConnections(Refusal(PostgresErrorCodes.CannotConnectNow)));
        Assert.False(Resilience.NeedsNewConnections(Refusal(PostgresErrorCodes.UniqueViolation)));
    }
}
