using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central;
using RealTimeDistributor.Central.RealTime.Gateways;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Activity;

/// <summary>
/// The base of the activity tests (issue 16): a center fed by peripheral gateways (short interval and peripheral timeout),
/// a distributor and a client; two peripherals configured; the center's counters and the client's rows at hand.
/// </summary>
public abstract class ActivityTest : SystemTest
{
    protected const int ServiceLevelSeconds = 20;

    protected override Dictionary<string, string?> CentralSettings => new()
    {
        ["RealTime:Source"] = ActivityOptions.Gateways,
        ["RealTime:Interval"] = "00:00:00.200",
        ["RealTime:FullRefreshEvery"] = "10",
        ["RealTime:PeripheralTimeout"] = "00:00:03",
    };

    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    protected CentralStats Stats => Rtd.Central.Services.GetRequiredService<CentralStats>();

    /// <summary>The real-time row the view holds now.</summary>
    protected System.Text.Json.JsonElement Live(string table, string key) =>
        View.Rows().Single(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == table && r.Key == key).Value!.Value;

    /// <summary>What <see cref="ConfigureTwoPeripheralsAsync"/> puts in, as the statistics see it.</summary>
    protected static readonly StatisticsConfiguration TwoPeripherals = new(
        [100, 101, 102, 103, 200, 201, 202, 203],
        [new ConfiguredSkillGroup(10, 1), new ConfiguredSkillGroup(20, 2)],
        [.. new long[] { 100, 101, 102, 103 }.Select(a => new ConfiguredMember(a, 10)), .. new long[] { 200, 201, 202, 203 }.Select(a => new ConfiguredMember(a, 20))],
        [new ConfiguredCallType(7, ServiceLevelSeconds), new ConfiguredCallType(8, ServiceLevelSeconds)],
        [new ConfiguredService(50, 1), new ConfiguredService(60, 2)],
        new Dictionary<long, long> { [100] = 1, [101] = 1, [102] = 1, [103] = 1, [200] = 2, [201] = 2, [202] = 2, [203] = 2 });

    /// <summary>Peripherals 1 and 2, a skill group of four agents and a service each, two call types; the center has loaded it when this returns.</summary>
    protected async Task ConfigureTwoPeripheralsAsync()
    {
        foreach (var peripheral in new long[] { 1, 2 })
        {
            await PutAsync("peripheral", peripheral, new { name = $"ACD {peripheral}", kind = "acd" });
            await PutAsync("skillgroup", peripheral * 10, new { name = $"Sales {peripheral}", peripheralId = peripheral });
            await PutAsync("service", 40 + (peripheral * 10), new { name = $"Inbound {peripheral}", peripheralId = peripheral });
            for (var agent = peripheral * 100; agent < (peripheral * 100) + 4; agent++)
            {
                await PutAsync("agent", agent, new { name = $"Agent {agent}", peripheralId = peripheral });
                await PutAsync("skillgroupmember", agent * 10, new { agentId = agent, skillGroupId = peripheral * 10 });
            }
        }
        await PutAsync("calltype", 7, new { name = "Sales", serviceLevelSeconds = ServiceLevelSeconds });
        await PutAsync("calltype", 8, new { name = "Support", serviceLevelSeconds = ServiceLevelSeconds });
        // the engine has read it all once the last agent's row reaches the client
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "203", r => r.Value is not null, TimeSpan.FromSeconds(30));
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "8", r => r.Value is not null, TimeSpan.FromSeconds(30));
    }
}
