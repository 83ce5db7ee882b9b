using System.Data;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Snapshots;

/// <summary>
/// Answers a configuration snapshot request: every table and the last committed sequence, read in one REPEATABLE READ
/// transaction, so the rows are exactly those as of that watermark.
/// </summary>
public sealed class ConfigSnapshotConsumer(CentralDbContext db, ILogger<ConfigSnapshotConsumer> logger) : IConsumer<ConfigSnapshotRequested>
{
    public async Task Consume(ConsumeContext<ConfigSnapshotRequested> context)
    {
        var cancellationToken = context.CancellationToken;
        await using var transaction = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var watermark = (await db.Database.SqlQuery<long>($"SELECT last_value AS \"Value\" FROM config_sequence WHERE id = 1")
            .ToListAsync(cancellationToken)).Single();
        var tables = new List<ConfigSnapshotTable>();
        foreach (var (name, type) in ConfigTables.All)
        {
            var rows = await Rows(type).AsNoTracking().OrderBy(r => r.Id).ToListAsync(cancellationToken);
            tables.Add(new ConfigSnapshotTable(name, [.. rows.Select(r => System.Text.Json.JsonSerializer.SerializeToElement(r, type, Json.Options))]));
        }
        await transaction.CommitAsync(cancellationToken);
        logger.LogInformation("Serving a configuration snapshot at {Sequence} to {RequestingSite} ({Reason})",
            watermark, context.Message.Site, context.Message.Reason);
        await context.RespondAsync(new ConfigSnapshotTaken(watermark, DateTimeOffset.UtcNow, tables));
    }

    private IQueryable<ConfigRow> Rows(Type type) =>
        (IQueryable<ConfigRow>)typeof(DbContext).GetMethod(nameof(DbContext.Set), Type.EmptyTypes)!.MakeGenericMethod(type).Invoke(db, null)!;
}
