using System.Globalization;
using System.Text.Json;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;

namespace RealTimeDistributor.Tests.Central.Statistics;

/// <summary>A clock the test moves by hand; its local time zone is UTC unless told otherwise.</summary>
public sealed class ManualClock(DateTimeOffset start, TimeZoneInfo? zone = null) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public override TimeZoneInfo LocalTimeZone => zone ?? TimeZoneInfo.Utc;

    public static DateTimeOffset At(string utc) => DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture);
}

/// <summary>An engine over a small configuration: agents 1-4 in skill group 10 (peripheral 1, service 100), call type 7 (service level 20 s).</summary>
public sealed class StatisticsHarness
{
    public static readonly StatisticsConfiguration SmallCenter = new(
        [1, 2, 3, 4],
        [new ConfiguredSkillGroup(10, 1)],
        [new ConfiguredMember(1, 10), new ConfiguredMember(2, 10), new ConfiguredMember(3, 10), new ConfiguredMember(4, 10)],
        [new ConfiguredCallType(7, 20)],
        [new ConfiguredService(100, 1)]);

    private long _lastCallId;

    public StatisticsHarness(DateTimeOffset start, TimeZoneInfo? zone = null)
    {
        Clock = new ManualClock(start, zone);
        Engine = new StatisticsEngine(new VersionClock(Clock), Clock);
        Engine.Configure(SmallCenter, start);
    }

    public ManualClock Clock { get; }

    public StatisticsEngine Engine { get; }

    /// <summary>
    /// A call to skill group 10 of call type 7, offered at <paramref name="at"/>, answered by agent 1 after
    /// <paramref name="wait"/> and completed a second later, the agent ready again at once (no wrap-up): handled then.
    /// </summary>
    public void HandledCall(DateTimeOffset at, TimeSpan wait)
    {
        var call = ++_lastCallId;
        Engine.Apply(new CallOffered(at, call, 7, 10));
        Engine.Apply(new CallAnswered(at + wait, call, 1));
        Engine.Apply(new CallCompleted(at + wait + TimeSpan.FromSeconds(1), call));
        Engine.Apply(new AgentStateChanged(at + wait + TimeSpan.FromSeconds(1), 1, AgentStates.Ready, 0, null));
    }

    public void AbandonedCall(DateTimeOffset at, TimeSpan wait)
    {
        var call = ++_lastCallId;
        Engine.Apply(new CallOffered(at, call, 7, 10));
        Engine.Apply(new CallAbandoned(at + wait, call));
    }

    /// <summary>Moves the clock to <paramref name="utc"/> and collects every row (full refresh).</summary>
    public IReadOnlyList<TableRows> CollectAt(string utc)
    {
        Clock.Now = ManualClock.At(utc);
        return Engine.Collect(Clock.Now, fullRefresh: true);
    }

    public static RealTimeRow Row(IReadOnlyList<TableRows> tables, string table, long key) =>
        tables.Single(t => t.Table == table).Rows.Single(r => r.Key == key.ToString(CultureInfo.InvariantCulture));

    public static JsonElement Column(IReadOnlyList<TableRows> tables, string table, long key, string column) =>
        Row(tables, table, key).Data.GetProperty(column);

    public static long Long(IReadOnlyList<TableRows> tables, string table, long key, string column) =>
        Column(tables, table, key, column).GetInt64();
}
