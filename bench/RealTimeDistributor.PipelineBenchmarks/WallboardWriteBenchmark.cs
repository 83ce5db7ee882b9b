using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Testing;
using static RealTimeDistributor.PipelineBenchmarks.BrowsersBenchmark;
using static RealTimeDistributor.PipelineBenchmarks.ScaleBenchmark;

namespace RealTimeDistributor.PipelineBenchmarks;

/// <summary>
/// The client's write path to the browsers alone (issue 22), no broker, no center: one process runs Kestrel on loopback
/// with the client's <c>GET /events</c> (<see cref="WallboardFeed"/>, <see cref="Wallboard"/>) over a view of R rows, a
/// driver that changes C rows a second (their <c>updatedAt</c> the moment of the change, as the center's one-second
/// interval does), and B browsers of <see cref="BrowsersBenchmark"/> (10 % stalled). Each step is run with each writer,
/// one after the other in the same process: the writers before (the whole event in one write; main's 256 KB slices, each
/// awaited, with Kestrel's default 64 KB output buffer), main's slices with the client's buffer, and the client's own
/// (<see cref="Wallboard.WriteAsync"/>). Freshness of a row = its arrival in a frame at the reader minus its change.
/// </summary>
public static class WallboardWriteBenchmark
{
    private const string Group = "wallboard-write: the client's GET /events write path alone, in process";

    public sealed record Options(int Rows, int ChangesPerSecond, int[] Browsers, TimeSpan Window, int Rounds);

    public static async Task RunAsync(Report report, Options options)
    {
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var browsers in options.Browsers)
            {
                foreach (var writer in Writers)
                {
                    await StepAsync(report, options, browsers, writer, round);
                }
            }
        }
    }

    /// <summary>
    /// A writer: the slice handed to Kestrel per write, each awaited (0: the whole event), and the socket transport's
    /// write buffer (Kestrel's default: 64 KB); no slice: the client's own writer and settings (<see cref="Wallboard.WriteAsync"/>).
    /// </summary>
    private static readonly (string Name, int? Slice, int TransportBuffer)[] Writers =
    [
        ("whole event per write, 64 KB buffer (before the memory fix: unbounded)", 0, 64 * 1024),
        ("256 KB slices each awaited, 64 KB buffer (main)", 256 * 1024, 64 * 1024),
        ("256 KB slices each awaited, 448 KB buffer", 256 * 1024, Wallboard.WriteBuffer),
        ("client: 64 KB slices, 448 KB buffer, last write awaited before the next event", null, Wallboard.WriteBuffer),
    ];

    /// <summary>GET /events written in slices of <paramref name="slice"/>, each its own write and flush (0: the whole event).</summary>
    private static async Task SlicesAsync(HttpContext http, WallboardFeed feed, int slice)
    {
        var connection = feed.Connect(http.Request.Headers["Last-Event-ID"].FirstOrDefault());
        if (connection is null)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var ct = http.RequestAborted;
        try
        {
            while (true)
            {
                var encoded = await feed.NextAsync(connection, ct);
                var size = slice == 0 ? encoded.Length : slice;
                for (var offset = 0; offset < encoded.Length; offset += size)
                {
                    await http.Response.Body.WriteAsync(encoded.AsMemory(offset, Math.Min(size, encoded.Length - offset)), ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the browser went away
        }
        finally
        {
            feed.Disconnect(connection);
        }
    }

    private static async Task StepAsync(Report report, Options options, int browsers, (string Name, int? Slice, int TransportBuffer) writer, int round)
    {
        var name = $"{options.Rows:N0} rows, {options.ChangesPerSecond:N0} changes/s, {browsers:N0} browsers, round {round}: {writer.Name}";
        Console.WriteLine($"wallboard-write: {name}");
        var view = new ClientView();
        var sequence = (long)options.Rows;
        view.Load(sequence, Enumerable.Range(1, options.Rows).Select(i => Row(i, 1, DateTimeOffset.UtcNow, sequence)));
        await using var app = WallboardHost.Build(view, services: s => s.Configure<SocketTransportOptions>(o => o.MaxWriteBufferSize = writer.TransportBuffer));
        var counting = new CountingWrites();
        app.Use(async (http, next) =>
        {
            http.Response.Body = new CountingStream(http.Response.Body, counting);
            await next(http);
        });
        if (writer.Slice is { } slice)
        {
            app.MapGet("/events", (HttpContext http, WallboardFeed feed) => SlicesAsync(http, feed, slice));
        }
        else
        {
            app.MapWallboard();
        }
        await app.StartAsync();
        var events = new Uri($"{app.Urls.Single()}/events");
        using var stop = new CancellationTokenSource();
        using var readerHttp = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = Timeout.InfiniteTimeSpan };
        using var stalledHttp = new HttpClient(new SocketsHttpHandler { ConnectCallback = WallboardHost.SmallReceiveBufferAsync }) { Timeout = Timeout.InfiniteTimeSpan };
        var all = Enumerable.Range(0, browsers).Select(i => new Browser(i % 10 == 9 ? stalledHttp : readerHttp, events, stalls: i % 10 == 9, "whole site")).ToList();
        var readers = all.Where(b => !b.Stalls).ToList();
        var running = all.Select(b => b.RunAsync(stop.Token)).ToList();
        var driving = DriveAsync(view, options, () => ++sequence, stop.Token);
        var connecting = Stopwatch.StartNew();
        await Task.WhenAll(all.Select(b => b.Connected.Task)).WaitAsync(TimeSpan.FromMinutes(3));
        var connected = connecting.Elapsed.TotalSeconds;
        var from = DateTimeOffset.UtcNow;
        foreach (var reader in readers)
        {
            reader.Begin(from);
        }
        var before = ProcessUsage.Read(Environment.ProcessId);
        await Task.Delay(options.Window);
        var after = ProcessUsage.Read(Environment.ProcessId);
        var samples = readers.Select(r => r.End()).ToList();
        await stop.CancelAsync();
        await Task.WhenAll(running);
        await driving;
        await app.StopAsync();

        var pooled = Percentiles.Of(samples.SelectMany(s => s).DefaultIfEmpty(double.NaN));
        var worst = samples.Where(s => s.Length > 0).Select(s => Percentiles.Of(s).P99).DefaultIfEmpty(double.NaN).Max();
        var fellBehind = readers.Count(r => r.Resets > 1);
        var cpu = (after.CpuSeconds - before.CpuSeconds) / options.Window.TotalSeconds * 100;
        var megabytes = Interlocked.Read(ref counting.Bytes) / 1e6;
        var writesPerMegabyte = Interlocked.Read(ref counting.Writes) / megabytes;
        var waitsPerMegabyte = Interlocked.Read(ref counting.Waited) / megabytes;
        Console.WriteLine($"  connected in {connected:N1} s; readers {pooled}; worst reader p99 {worst:N0} ms; {fellBehind} fell behind; CPU {cpu:N0} %; " +
            $"RSS {after.RssMegabytes:N0} MB; {megabytes:N0} MB written, {writesPerMegabyte:N1} writes and {waitsPerMegabyte:N1} waits for the socket per MB");
        foreach (var (label, value) in pooled.Named())
        {
            report.Add(Group, $"{name}: readers' freshness {label}", value, "ms");
        }
        report.Add(Group, $"{name}: worst reader's p99", worst, "ms");
        report.Add(Group, $"{name}: time until every browser connected", connected, "s");
        report.Add(Group, $"{name}: readers that fell behind", fellBehind, "readers");
        report.Add(Group, $"{name}: process CPU (server and browsers)", cpu, "% of a core");
        report.Add(Group, $"{name}: process RSS at the end", after.RssMegabytes, "MB");
        report.Add(Group, $"{name}: written to the browsers (connect and window)", megabytes, "MB");
        report.Add(Group, $"{name}: writes handed to Kestrel", writesPerMegabyte, "per MB");
        report.Add(Group, $"{name}: writes that waited for the socket (not complete when handed over)", waitsPerMegabyte, "per MB");
    }

    /// <summary>Every second, one real-time message of C changed rows (random keys), stamped with the moment of the change.</summary>
    private static async Task DriveAsync(ClientView view, Options options, Func<long> next, CancellationToken ct)
    {
        var random = new Random(22);
        var version = 1L;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                var now = DateTimeOffset.UtcNow;
                version++;
                var keys = Enumerable.Range(0, options.ChangesPerSecond).Select(_ => random.Next(1, options.Rows + 1)).Distinct().ToList();
                var first = next();
                for (var i = 1; i < keys.Count; i++)
                {
                    next();
                }
                var rows = keys.Select(k => new RealTimeRow(Key(k), version, now, Value(k, version))).ToList();
                view.Apply(new RealTimeUpdate("site-a", first + keys.Count - 1, "agent", rows, now)
                {
                    FirstSiteSequence = first,
                    PreviousSiteSequence = first - 1,
                });
            }
        }
        catch (OperationCanceledException)
        {
            // the step is over
        }
    }

    private static string Key(int i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static System.Text.Json.JsonElement Value(int i, long version) =>
        Json.ToElement(new { agent = i, state = version % 3 == 0 ? "talking" : "ready", reason = (int)(version % 7), skillGroups = new[] { i % 120, (i + 7) % 120 }, since = DateTimeOffset.UnixEpoch });

    private static ViewRow Row(int i, long version, DateTimeOffset at, long sequence) =>
        new("realtime", "agent", Key(i), sequence, Value(i, version), at, version);

    private sealed class CountingWrites
    {
        public long Writes;
        public long Waited;
        public long Bytes;
    }

    /// <summary>The response body, counting the writes handed to Kestrel and those not complete when handed over (they wait for the socket).</summary>
    private sealed class CountingStream(Stream inner, CountingWrites counts) : Stream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var write = inner.WriteAsync(buffer, cancellationToken);
            Interlocked.Increment(ref counts.Writes);
            Interlocked.Add(ref counts.Bytes, buffer.Length);
            if (!write.IsCompleted)
            {
                Interlocked.Increment(ref counts.Waited);
            }
            return write;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
