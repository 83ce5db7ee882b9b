using Microsoft.EntityFrameworkCore;

namespace RealTimeDistributor.Data.Configuration;

public static class ConfigRowQueries
{
    /// <summary>The rows of the configuration table mapped to <paramref name="type"/> (one of <see cref="ConfigTables.All"/>).</summary>
    public static IQueryable<ConfigRow> ConfigRows(this DbContext db, Type type) =>
        (IQueryable<ConfigRow>)typeof(DbContext).GetMethod(nameof(DbContext.Set), Type.EmptyTypes)!.MakeGenericMethod(type).Invoke(db, null)!;
}
