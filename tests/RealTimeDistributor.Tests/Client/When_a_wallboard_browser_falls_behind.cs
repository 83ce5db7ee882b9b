using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using RealTimeDistributor.Client;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

/// <summary>
/// The wallboard's feed (GET /events) without HTTP: frames coalesce the view's changes per row, every connection is
/// handed the same encoded bytes (a reset too, for a second), after a reset a connection reads the frames since it from
/// the recent frames, then never holds more than its buffer, one that fell behind reads a fresh reset next,
/// Last-Event-ID resumes from the recent frames, and the connection cap refuses the next one.
/// </summary>
public sealed class When_a_wallboard_browser_falls_behind : IDisposable
{
    private readonly ClientView _view = new();
    private readonly WallboardFeed _feed;
    private long _sequence;

    public When_a_wallboard_browser_falls_behind()
    {
        _view.Load(0, []);
        _feed = new WallboardFeed(_view, new ClientSettings("site-a", "ws1", [Topology.AllKeys]),
            new WallboardSettings(80, 60) { ConnectionBuffer = 3, MaxConnections = 4 }, TimeProvider.System, NullLogger<WallboardFeed>.Instance);
    }

    public void Dispose() => _feed.Dispose();

    private void Change(string key, int value)
    {
        _sequence++;
        _view.Apply(new RealTimeUpdate("site-a", _sequence, "agent",
            [new RealTimeRow(key, _sequence, DateTimeOffset.UnixEpoch, Json.ToElement(new { value }))], DateTimeOffset.UnixEpoch)
        {
            FirstSiteSequence = _sequence,
            PreviousSiteSequence = _sequence - 1,
        });
    }

    private static (string? Id, string Name, JsonElement Data) Parse(byte[] encoded)
    {
        var lines = Encoding.UTF8.GetString(encoded).Split('\n');
        Assert.Equal(["", ""], lines[^2..]);
        string Field(string name) => lines.Single(l => l.StartsWith(name + ": ", StringComparison.Ordinal))[(name.Length + 2)..];
        return (lines.Any(l => l.StartsWith("id: ", StringComparison.Ordinal)) ? Field("id") : null, Field("event"), JsonDocument.Parse(Field("data")).RootElement);
    }

    private async Task<(string? Id, string Name, JsonElement Data)> NextAsync(WallboardConnection connection)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return Parse(await _feed.NextAsync(connection, timeout.Token));
    }

    private static int[] Values(JsonElement rows) => [.. rows.EnumerateArray().Select(r => r.GetProperty("value").GetProperty("value").GetInt32())];

    [Fact]
    public async Task Should_hold_at_most_its_buffer_and_send_a_fresh_reset_when_it_reads_again()
    {
        var reader = _feed.Connect(null)!;
        var stalled = _feed.Connect(null)!;
        Assert.Equal("reset", (await NextAsync(reader)).Name);
        Assert.Equal("reset", (await NextAsync(stalled)).Name);
        var first = _feed.NextAsync(stalled, CancellationToken.None).AsTask(); // it has caught up and waits: takes one frame, then stops reading

        for (var i = 1; i <= 10; i++)
        {
            Change("1001", i);
            _feed.Flush();
            if (i == 1)
            {
                // awaited here, before the frames that fill its buffer: its read could otherwise resume after it fell behind
                var firstFrame = Parse(await first);
                Assert.Equal("frame", firstFrame.Name);
                Assert.Equal([1], Values(firstFrame.Data.GetProperty("rows")));
            }
            Assert.InRange(stalled.Buffered, 0, 3);
            var frame = await NextAsync(reader);
            Assert.Equal("frame", frame.Name);
            Assert.Equal([i], Values(frame.Data.GetProperty("rows")));
        }
        Assert.Equal(1, _feed.FellBehind);

        // it reads again: what it missed is not sent, a reset is (the one of a second ago, shared, or a fresh one), then
        // the frames after that reset
        var reset = await NextAsync(stalled);
        Assert.Equal("reset", reset.Name);
        Assert.Equal(0, stalled.Buffered);
        var seen = Values(reset.Data.GetProperty("rows")).ToList();
        while (seen.LastOrDefault() != 10)
        {
            var frame = await NextAsync(stalled);
            Assert.Equal("frame", frame.Name);
            seen.AddRange(Values(frame.Data.GetProperty("rows")));
        }
        Change("1001", 11);
        _feed.Flush();
        var next = await NextAsync(stalled);
        Assert.Equal("frame", next.Name);
        Assert.Equal([11], Values(next.Data.GetProperty("rows")));
    }

    [Fact]
    public async Task Should_coalesce_the_changes_of_a_row_and_share_one_encoding()
    {
        var first = _feed.Connect(null)!;
        var second = _feed.Connect(null)!;
        var firstReset = await _feed.NextAsync(first, CancellationToken.None);
        Assert.Same(firstReset, await _feed.NextAsync(second, CancellationToken.None));

        Change("1001", 1);
        Change("1002", 5);
        Change("1001", 2);
        _feed.Flush();
        _feed.Flush(); // nothing new: no frame

        var frame = await _feed.NextAsync(first, CancellationToken.None);
        Assert.Same(frame, await _feed.NextAsync(second, CancellationToken.None));
        Assert.Equal([2, 5], Values(Parse(frame).Data.GetProperty("rows")).Order());
        Assert.Equal(0, first.Buffered);
    }

    [Fact]
    public async Task Should_give_a_browser_that_connects_frames_later_the_same_reset_and_the_frames_since_it()
    {
        var first = _feed.Connect(null)!;
        var reset = await _feed.NextAsync(first, CancellationToken.None);
        for (var i = 1; i <= 2; i++)
        {
            Change("1001", i);
            _feed.Flush();
        }

        var later = _feed.Connect(null)!;
        Assert.Same(reset, await _feed.NextAsync(later, CancellationToken.None));
        Assert.Equal(1, _feed.ResetsEncoded);

        // while its reset is written, more frames go out than its buffer holds: it reads them from the recent frames
        for (var i = 3; i <= 6; i++)
        {
            Change("1001", i);
            _feed.Flush();
        }
        var missed = new List<int[]>();
        for (var i = 1; i <= 6; i++)
        {
            missed.Add(Values((await NextAsync(later)).Data.GetProperty("rows")));
        }
        Assert.Equal([[1], [2], [3], [4], [5], [6]], missed);
        Assert.Equal(0, _feed.FellBehind);

        // it takes nothing while more frames go out than the feed keeps: a reset of its own
        var behind = _feed.Connect(null)!;
        await NextAsync(behind);
        for (var i = 7; i <= 7 + WallboardFeed.ResumeFrames; i++)
        {
            Change("1001", i);
            _feed.Flush();
        }
        var fresh = await NextAsync(behind);
        Assert.Equal("reset", fresh.Name);
        Assert.Equal([7 + WallboardFeed.ResumeFrames], Values(fresh.Data.GetProperty("rows")));
        Assert.Equal(2, _feed.ResetsEncoded);
        Assert.Equal(1, _feed.FellBehind);
    }

    [Fact]
    public async Task Should_resume_after_the_last_event_id_it_still_holds_and_reset_otherwise()
    {
        var browser = _feed.Connect(null)!;
        var reset = await NextAsync(browser);
        Change("1001", 1);
        _feed.Flush();
        var seen = await NextAsync(browser);
        _feed.Disconnect(browser);
        Change("1001", 2);
        _feed.Flush();

        var resumed = _feed.Connect(seen.Id)!;
        var missed = await NextAsync(resumed);
        Assert.Equal("frame", missed.Name);
        Assert.Equal([2], Values(missed.Data.GetProperty("rows")));

        var feed = reset.Id!.Split('.')[0];
        Assert.Equal("reset", (await NextAsync(_feed.Connect($"{feed}.999")!)).Name);
        Assert.Equal("reset", (await NextAsync(_feed.Connect("another-feed.1")!)).Name);

        // a snapshot reload: no browser resumes across it
        _view.Load(_sequence, _view.Rows());
        var reloaded = await NextAsync(resumed);
        Assert.Equal("reset", reloaded.Name);
    }

    [Fact]
    public void Should_refuse_a_connection_above_the_cap()
    {
        var open = Enumerable.Range(0, 4).Select(_ => _feed.Connect(null)).ToList();
        Assert.All(open, Assert.NotNull);
        Assert.Null(_feed.Connect(null));
        Assert.Equal(1, _feed.Refused);
        _feed.Disconnect(open[0]!);
        Assert.NotNull(_feed.Connect(null));
    }
}
