using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RealTimeDistributor.Central;
using RealTimeDistributor.Central.ChangeLog;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// Configuration changes at the center: committed per second by N concurrent writers, through <see cref="ConfigWriter"/>
/// (in process) and through the admin API (HTTP PUT), each change a new agent; and published per second by the relay
/// while they commit (from the first commit until the relay has published the last one with confirms). Baseline: the
/// raw database, the same transaction written with plain Npgsql (take the next sequence, insert the row and its change
/// log entry, commit), by the same number of connections. Every commit takes the single-row counter, so concurrent
/// writers queue on its row lock: the figures show how far concurrency helps.
/// </summary>
public static class CommitBenchmark
{
    public static async Task RunAsync(Report report, int count, int[] writerCounts)
    {
        await using var system = await RtdSystem.StartAsync();
        if ((await system.PutConfigAsync("peripheral", 1, new { name = "ACD", kind = "acd" })).StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("seed failed");
        }
        var stats = system.Central.Services.GetRequiredService<CentralStats>();
        await using var dataSource = NpgsqlDataSource.Create(TestSettings.ConnectionString(system.CentralDatabase));
        var nextId = 100_000L;
        foreach (var writers in writerCounts)
        {
            var group = $"central commits ({count:N0} changes, {writers} writer{(writers == 1 ? "" : "s")})";
            Console.WriteLine($"commit: {count:N0} changes by {writers} writers");
            foreach (var (name, commit) in new (string, Func<long, Task>)[]
            {
                ("raw database: Npgsql transaction", id => RawCommitAsync(system, dataSource, id)),
                ("ConfigWriter (in process)", id => WriterCommitAsync(system, id)),
                ("admin API: HTTP PUT", id => HttpCommitAsync(system, id)),
            })
            {
                var publishedBefore = stats.ChangesPublished;
                var first = nextId;
                nextId += count;
                var started = Stopwatch.GetTimestamp();
                var next = first - 1;
                await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
                {
                    long id;
                    while ((id = Interlocked.Increment(ref next)) < first + count)
                    {
                        await commit(id);
                    }
                }));
                var committed = Stopwatch.GetElapsedTime(started);
                while (stats.ChangesPublished < publishedBefore + count)
                {
                    await Task.Delay(1);
                }
                var published = Stopwatch.GetElapsedTime(started);
                var baseline = name.StartsWith("raw", StringComparison.Ordinal) ? null : "raw database: Npgsql transaction: committed";
                report.Add(group, $"{name}: committed", count / committed.TotalSeconds, "changes/s", baseline);
                report.Add(group, $"{name}: published by the relay", count / published.TotalSeconds, "changes/s",
                    baseline is null ? $"{name}: committed" : "raw database: Npgsql transaction: published by the relay");
            }
        }
    }

    /// <summary>One change through ConfigWriter in a scope of its own (a new DbContext), as each admin API request has.</summary>
    private static async Task WriterCommitAsync(RtdSystem system, long id)
    {
        await using var scope = system.Central.Services.CreateAsyncScope();
        var writer = scope.ServiceProvider.GetRequiredService<ConfigWriter>();
        var result = await writer.UpsertAsync("agent", id, Json.ToElement(new { name = $"Agent {id}", peripheralId = 1 }), null,
            new EditAuthor("bench", null, Force: true), CancellationToken.None);
        if (result is not EditResult.Committed)
        {
            throw new InvalidOperationException($"agent {id}: {result}");
        }
    }

    private static async Task HttpCommitAsync(RtdSystem system, long id)
    {
        using var response = await system.PutConfigAsync("agent", id, new { name = $"Agent {id}", peripheralId = 1 });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"agent {id}: HTTP {(int)response.StatusCode}");
        }
    }

    /// <summary>
    /// The same transaction as ConfigWriter's, in two round trips on a pooled connection, then the relay's wake-up signal
    /// as ConfigWriter gives it (without it the relay would only look every second).
    /// </summary>
    private static async Task RawCommitAsync(RtdSystem system, NpgsqlDataSource dataSource, long id)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var next = new NpgsqlCommand("UPDATE config_sequence SET last_value = last_value + 1 WHERE id = 1 RETURNING last_value", connection, transaction);
        var sequence = (long)(await next.ExecuteScalarAsync())!;
        await using var batch = new NpgsqlBatch(connection, transaction)
        {
            BatchCommands =
                {
                    new NpgsqlBatchCommand("INSERT INTO agent (id, name, peripheral_id, config_sequence) VALUES ($1, $2, 1, $3)")
                    {
                        Parameters = { new() { Value = id }, new() { Value = $"Agent {id}" }, new() { Value = sequence } },
                    },
                    new NpgsqlBatchCommand("""
                        INSERT INTO config_change_log (sequence, "table", operation, key, row_json, committed_at)
                        VALUES ($1, 'agent', 'upsert', $2, $3::jsonb, now())
                        """)
                    {
                        Parameters =
                        {
                            new() { Value = sequence },
                            new() { Value = id.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                            new() { Value = System.Text.Encoding.UTF8.GetString(Json.Serialize(new { id, name = $"Agent {id}", peripheralId = 1, configSequence = sequence })) },
                        },
                    },
                },
        };
        await batch.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
        system.Central.Services.GetRequiredService<ChangeLogSignal>().Notify();
    }
}
