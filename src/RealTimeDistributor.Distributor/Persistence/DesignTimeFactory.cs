using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RealTimeDistributor.Distributor.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the host.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<ReplicaDbContext>
{
    public ReplicaDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ReplicaDbContext>().UseNpgsql("Host=127.0.0.1;Database=rtd_replica_design").Options);
}
