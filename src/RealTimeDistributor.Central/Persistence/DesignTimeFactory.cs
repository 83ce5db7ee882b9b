using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace RealTimeDistributor.Central.Persistence;

/// <summary>Lets `dotnet ef migrations add` build the model without starting the host.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<CentralDbContext>
{
    public CentralDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<CentralDbContext>().UseNpgsql("Host=127.0.0.1;Database=rtd_central_design").Options);
}
