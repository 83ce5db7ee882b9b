using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RealTimeDistributor.Central.Admin;
using RealTimeDistributor.Tests.Central.Statistics;

namespace RealTimeDistributor.Tests.Central;

/// <summary>The admin API's refusals in the log (RefusalLog): one Information line each, at most 10 a second, the rest counted.</summary>
public sealed class When_refusals_are_logged
{
    [Fact]
    public void Should_log_at_most_ten_lines_a_second_and_count_the_rest_in_the_next_seconds_first_line()
    {
        var clock = new ManualClock(ManualClock.At("2026-12-07T05:00:00Z"));
        var log = new Lines();
        var refusals = new RefusalLog(log, clock);
        var http = new DefaultHttpContext();
        http.Request.Method = "GET";
        http.Request.Path = "/api/config/agent";

        for (var i = 0; i < 25; i++)
        {
            refusals.Refused(http, 401, "unknown key");
        }
        Assert.Equal(RefusalLog.LinesPerSecond, log.Logged.Count);
        Assert.All(log.Logged, l => Assert.Equal((LogLevel.Information, true), (l.Level, l.Text.StartsWith("Refused GET /api/config/agent", StringComparison.Ordinal))));

        clock.Now = clock.Now.AddSeconds(1);
        refusals.Refused(http, 429, "too many");
        Assert.Equal(12, log.Logged.Count);
        Assert.StartsWith("15 more refused requests were not logged", log.Logged[10].Text, StringComparison.Ordinal);
        Assert.EndsWith("with 429: too many", log.Logged[11].Text, StringComparison.Ordinal);
        Assert.All(log.Logged, l => Assert.Equal(LogLevel.Information, l.Level));
    }

    private sealed class Lines : ILogger<RefusalLog>
    {
        public List<(LogLevel Level, string Text)> Logged { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Logged.Add((logLevel, formatter(state, exception)));
    }
}
