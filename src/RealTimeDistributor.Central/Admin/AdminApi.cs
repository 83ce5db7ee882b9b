using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Central.Persistence;
using RealTimeDistributor.Data.Configuration;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The admin API (127.0.0.1 by default). An edit may name the version it read in an If-Match header; a stale one gets
/// 409 with the current version. Bad input gets 400/404/422 with a reason and changes nothing.
/// </summary>
public static class AdminApi
{
    public static void MapAdminApi(this WebApplication app)
    {
        var config = app.MapGroup("/api/config");
        config.MapGet("/{table}", ListAsync);
        config.MapGet("/{table}/{id:long}", GetAsync);
        config.MapPut("/{table}/{id:long}", UpsertAsync);
        config.MapDelete("/{table}/{id:long}", DeleteAsync);
        app.MapGet("/api/sequence", SequenceAsync);
        app.MapGet("/stats", (CentralStats stats) => Results.Ok(new
        {
            stats.ChangesCommitted,
            stats.ChangesPublished,
            stats.RealTimeRowsPublished,
        }));
        app.MapGet("/health", () => Results.Ok(new { status = "ok" }));
    }

    private static async Task<IResult> ListAsync(string table, CentralDbContext db, CancellationToken cancellationToken)
    {
        if (!ConfigTables.TryGet(table, out var type))
        {
            return UnknownTable(table);
        }
        var rows = await db.ConfigRows(type).ToListAsync(cancellationToken);
        return Results.Json(rows.OrderBy(r => r.Id).Cast<object>());
    }

    private static async Task<IResult> GetAsync(string table, long id, CentralDbContext db, CancellationToken cancellationToken)
    {
        if (!ConfigTables.TryGet(table, out var type))
        {
            return UnknownTable(table);
        }
        var row = (ConfigRow?)await db.FindAsync(type, [id], cancellationToken);
        return row is null ? Results.Problem($"{table} {id} does not exist.", statusCode: 404) : Results.Json((object)row);
    }

    private static async Task<IResult> UpsertAsync(string table, long id, [FromBody] JsonElement body, HttpRequest request, ConfigWriter writer,
        CancellationToken cancellationToken)
    {
        if (!TryExpectedVersion(request, out var expected, out var error))
        {
            return error!;
        }
        return ToHttp(await writer.UpsertAsync(table, id, body, expected, cancellationToken));
    }

    private static async Task<IResult> DeleteAsync(string table, long id, HttpRequest request, ConfigWriter writer, CancellationToken cancellationToken)
    {
        if (!TryExpectedVersion(request, out var expected, out var error))
        {
            return error!;
        }
        return ToHttp(await writer.DeleteAsync(table, id, expected, cancellationToken));
    }

    private static async Task<IResult> SequenceAsync(CentralDbContext db, CancellationToken cancellationToken)
    {
        var last = (await db.Database.SqlQuery<long>($"SELECT last_value AS \"Value\" FROM config_sequence WHERE id = 1").ToListAsync(cancellationToken)).Single();
        var relay = await db.RelayState.AsNoTracking().SingleAsync(cancellationToken);
        return Results.Ok(new { lastSequence = last, publishedThrough = relay.PublishedThrough });
    }

    private static bool TryExpectedVersion(HttpRequest request, out long? expected, out IResult? error)
    {
        expected = null;
        error = null;
        var header = request.Headers.IfMatch.ToString().Trim('"', ' ');
        if (header.Length == 0)
        {
            return true;
        }
        if (!long.TryParse(header, out var version) || version < 0)
        {
            error = Results.Problem($"If-Match must be the version (a whole number) you read, not '{header}'.", statusCode: 400);
            return false;
        }
        expected = version;
        return true;
    }

    private static IResult ToHttp(EditResult result) => result switch
    {
        EditResult.Committed c => Results.Ok(new { sequence = c.Sequence, version = c.Sequence, row = c.Row }),
        EditResult.NotFound n => Results.Problem(n.Reason, statusCode: 404),
        EditResult.Invalid i => Results.Problem(i.Reason, statusCode: 422),
        EditResult.Conflict c => Results.Problem(c.Reason, statusCode: 409, extensions: new Dictionary<string, object?> { ["currentVersion"] = c.CurrentVersion }),
        _ => throw new InvalidOperationException($"Unhandled edit result {result}"),
    };

    private static IResult UnknownTable(string table) =>
        Results.Problem($"Unknown table '{table}'. Known: {string.Join(", ", ConfigTables.All.Select(t => t.Name))}.", statusCode: 404);
}
