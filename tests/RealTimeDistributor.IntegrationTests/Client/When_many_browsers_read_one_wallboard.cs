using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;
using Xunit.Abstractions;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// Issue 22, the last hop: a real client process serves GET /events to 20 browsers over real HTTP while the center
/// changes every agent row four times a second; 5 of the browsers take their first reset and then stop reading for
/// 60 s (a background tab, a stuck proxy; their sockets' receive buffers are small, so the client feels it at once).
/// Meanwhile the client's memory (VmRSS from /proc) stays within a bound, and each of the 15 readers keeps receiving
/// frames with newer versions; when the stalled ones read again, each gets a fresh reset (on the same connection, or
/// after the client dropped it and the browser reconnected) and then newer frames.
/// RTD_TEST_WALLBOARD_READERS, _STALLED, _AGENTS, _CHANGES (agent rows changed every 250 ms; all by default) and
/// _SECONDS change the load (for a measurement run; the bound stays).
/// </summary>
public sealed class When_many_browsers_read_one_wallboard(ITestOutputHelper output) : SystemTest
{
    private static readonly int Readers = Setting("READERS", 15);
    private static readonly int Stalled = Setting("STALLED", 5);
    private static readonly int Agents = Setting("AGENTS", 500);
    private static readonly int ChangesPerTick = Setting("CHANGES", Agents);
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(Setting("SECONDS", 60));

    /// <summary>How far the client's RSS may grow over what it had with every browser connected and served a reset.</summary>
    private const long GrowthBoundMegabytes = 200;

    protected override bool StartsDistributor => true;

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable($"RTD_TEST_WALLBOARD_{name}"), CultureInfo.InvariantCulture, out var value) ? value : fallback;

    [Fact]
    public async Task Should_keep_its_memory_bounded_and_its_readers_fresh_and_reset_the_stalled_ones()
    {
        using (var probe = new TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        var client = Rtd.StartProcess("RealTimeDistributor.Client", new()
        {
            ["Client__Site"] = Site,
            ["Client__Workstation"] = "wallboards",
            ["Urls"] = $"http://127.0.0.1:{_port}",
            ["Client__Wallboard__MaxConnections"] = (Readers + Stalled + 10).ToString(CultureInfo.InvariantCulture),
        });
        using var http = new HttpClient(new SocketsHttpHandler()) { Timeout = Timeout.InfiniteTimeSpan };
        await Eventually.Until(() => SnapshotsAsync(http), s => s >= 1, "the client process to load its snapshot", TimeSpan.FromSeconds(90));

        using var stop = new CancellationTokenSource();
        var version = 0L;
        var publishing = Task.Run(async () =>
        {
            var publisher = Rtd.Central.Services.GetRequiredService<Central.RealTime.RealTimePublisher>();
            while (!stop.IsCancellationRequested)
            {
                var v = Interlocked.Increment(ref version);
                var first = (int)((v - 1) * ChangesPerTick % Agents);
                var changed = Enumerable.Range(first, ChangesPerTick).Select(a => 1 + (a % Agents)).Select(a => AgentRow(a, v));
                await publisher.PublishAsync(RealTimeTables.Agent, [.. changed], fullRefresh: false, CancellationToken.None);
                await Task.Delay(250, CancellationToken.None);
            }
        });

        using var stalledSockets = new HttpClient(new SocketsHttpHandler { ConnectCallback = WallboardHost.SmallReceiveBufferAsync }) { Timeout = Timeout.InfiniteTimeSpan };
        var readers = Enumerable.Range(0, Readers).Select(_ => new Browser(http, Events, stalls: false)).ToList();
        var stalled = Enumerable.Range(0, Stalled).Select(_ => new Browser(stalledSockets, Events, stalls: true)).ToList();
        var running = readers.Concat(stalled).Select(b => b.RunAsync(stop.Token)).ToList();
        try
        {
            await Task.WhenAll(readers.Concat(stalled).Select(b => b.FirstReset.Task)).WaitAsync(TimeSpan.FromSeconds(60));
            var baseline = Rss(client);
            var peak = baseline;
            output.WriteLine($"{Readers} readers and {Stalled} stalled browsers connected, {Agents} agents: client RSS {baseline / 1024} MB");

            var previous = readers.Select(r => r.Version).ToList();
            var start = DateTime.UtcNow;
            while (DateTime.UtcNow - start < Stall)
            {
                for (var second = 0; second < 10; second++)
                {
                    await Task.Delay(1000);
                    peak = Math.Max(peak, Rss(client));
                    Assert.True(peak - baseline < GrowthBoundMegabytes * 1024,
                        $"the client's RSS grew from {baseline / 1024} MB to {peak / 1024} MB with {Stalled} browsers stalled (bound: {GrowthBoundMegabytes} MB more)");
                }
                var now = readers.Select(r => r.Version).ToList();
                output.WriteLine($"{(DateTime.UtcNow - start).TotalSeconds:F0} s: published version {Interlocked.Read(ref version)}, readers at {now.Min()}-{now.Max()}, " +
                    $"client RSS {Rss(client) / 1024} MB (peak {peak / 1024} MB), resets seen by the readers {readers.Sum(r => r.Resets)}, stalled connections {string.Join(" ", stalled.Select(s => s.Connects))}");
                for (var i = 0; i < readers.Count; i++)
                {
                    Assert.True(now[i] > previous[i], $"reader {i} received nothing newer than version {previous[i]} in 10 s (published: {Interlocked.Read(ref version)})");
                }
                previous = now;
            }

            var atResume = stalled.Select(s => s.Resume()).ToList();
            for (var i = 0; i < stalled.Count; i++)
            {
                var browser = stalled[i];
                var (resets, seen) = atResume[i];
                await Eventually.Until(() => Task.FromResult((browser.Resets, browser.Version)), s => s.Resets > resets && s.Version > seen,
                    $"stalled browser {i} (resets {resets}, version {seen} when it read again) to get a fresh reset and newer frames", TimeSpan.FromSeconds(60));
            }
            output.WriteLine($"client RSS at start {baseline / 1024} MB, peak {peak / 1024} MB, end {Rss(client) / 1024} MB; " +
                $"resets seen by the readers {readers.Sum(r => r.Resets)}, by the stalled {string.Join(" ", stalled.Select(s => s.Resets))}, " +
                $"connects of the stalled {string.Join(" ", stalled.Select(s => s.Connects))}");
        }
        finally
        {
            await stop.CancelAsync();
            await publishing;
            await Task.WhenAll(running.Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private int _port;

    private Uri Events => new($"http://127.0.0.1:{_port}/events");

    private async Task<long> SnapshotsAsync(HttpClient http)
    {
        try
        {
            return (await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{_port}/stats")).GetProperty("snapshots").GetInt64();
        }
        catch (HttpRequestException)
        {
            return -1; // not listening yet
        }
    }

    /// <summary>The process's resident set in kB (VmRSS of /proc/{pid}/status).</summary>
    private static long Rss(System.Diagnostics.Process process) =>
        long.Parse(File.ReadLines($"/proc/{process.Id}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static RealTimeRow AgentRow(int agent, long version)
    {
        var state = ((agent + version) % 4) switch { 0 => "ready", 1 => "talking", 2 => "wrap-up", _ => "not-ready" };
        return new RealTimeRow((1000 + agent).ToString(CultureInfo.InvariantCulture), version, DateTimeOffset.UtcNow, Json.ToElement(new
        {
            state,
            reasonCode = state == "not-ready" ? 1 + (agent % 5) : 0,
            stateSince = DateTimeOffset.UtcNow.AddSeconds(-(agent % 600)),
            skillGroupId = 10 + (agent % 20),
            callsHandledToday = version,
        }));
    }

    /// <summary>
    /// An EventSource as a browser has it: reads "reset", "frame" and "status" events, keeps the newest agent version it
    /// saw, and reconnects (with Last-Event-ID) when the stream ends. One that stalls stops reading after its first reset
    /// until <see cref="Resume"/>.
    /// </summary>
    private sealed class Browser(HttpClient http, Uri events, bool stalls)
    {
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _resume = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _lastId;

        public TaskCompletionSource FirstReset { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Resets { get; private set; }

        public long Version { get; private set; }

        public int Connects { get; private set; }

        /// <summary>Reads again; returns the resets and the newest version seen so far.</summary>
        public (int Resets, long Version) Resume()
        {
            lock (_gate)
            {
                _resume.TrySetResult();
                return (Resets, Version);
            }
        }

        public async Task RunAsync(CancellationToken ct)
        {
            while (!ct.IsCancellationRequested)
            {
                try
                {
                    await ReadAsync(ct);
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    // dropped by the client: reconnect as EventSource does
                }
                await Task.Delay(500, ct);
            }
        }

        private async Task ReadAsync(CancellationToken ct)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, events);
            if (_lastId is not null)
            {
                request.Headers.Add("Last-Event-ID", _lastId);
            }
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            Connects++;
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            string? name = null;
            var data = new StringBuilder();
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                if (line.Length > 0)
                {
                    var colon = line.IndexOf(':', StringComparison.Ordinal);
                    var (field, value) = (line[..colon], line[(colon + 1)..].TrimStart());
                    if (field == "id")
                    {
                        _lastId = value;
                    }
                    else if (field == "event")
                    {
                        name = value;
                    }
                    else
                    {
                        Assert.Equal("data", field);
                        data.Append(value);
                    }
                    continue;
                }
                Handle(name, data.ToString());
                name = null;
                data.Clear();
                if (stalls && Resets > 0)
                {
                    await _resume.Task.WaitAsync(ct);
                }
            }
        }

        private void Handle(string? name, string data)
        {
            if (name is not ("reset" or "frame"))
            {
                return;
            }
            using var json = JsonDocument.Parse(data);
            var newest = json.RootElement.GetProperty("rows").EnumerateArray()
                .Where(r => r.GetProperty("kind").GetString() == SiteUpdate.RealTimeKind && r.GetProperty("table").GetString() == RealTimeTables.Agent)
                .Select(r => r.GetProperty("version").GetInt64()).DefaultIfEmpty(0).Max();
            lock (_gate)
            {
                Version = Math.Max(Version, newest);
                if (name == "reset")
                {
                    Resets++;
                    FirstReset.TrySetResult();
                }
            }
        }
    }
}
