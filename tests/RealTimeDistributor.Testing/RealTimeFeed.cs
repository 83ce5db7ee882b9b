using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Testing;

/// <summary>Publishes real-time rows through the central controller's publisher, and reads them back from a replica or a view.</summary>
public static class RealTimeFeed
{
    /// <summary>Rows whose data is {"n": version}, so a value shows which version it came from.</summary>
    public static Task PublishAsync(this RtdSystem system, string table, IEnumerable<string> keys, long version) =>
        system.Central.Services.GetRequiredService<RealTimePublisher>().PublishAsync(table,
            [.. keys.Select(k => new RealTimeRow(k, version, DateTimeOffset.UtcNow, Json.ToElement(new { n = version })))], fullRefresh: false,
            CancellationToken.None);

    public static async Task<Dictionary<string, long>> ReplicaVersionsAsync(this RtdSystem system, string site, string table)
    {
        await using var connection = new NpgsqlConnection(TestSettings.ConnectionString(system.ReplicaDatabase(site)));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT key, version FROM realtime_row WHERE table_name = @table", connection);
        command.Parameters.AddWithValue("table", table);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new Dictionary<string, long>();
        while (await reader.ReadAsync())
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }
        return versions;
    }

    public static Task<long> ReplicaRowCountAsync(this RtdSystem system, string site, string table) =>
        system.QueryReplicaAsync<long>(site, "SELECT count(*) FROM realtime_row WHERE table_name = @table", ("table", table));

    public static Dictionary<string, long> Versions(this ClientView view, string table) =>
        view.Rows().Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == table).ToDictionary(r => r.Key, r => r.Version);
}
