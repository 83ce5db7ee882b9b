using System.Net;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.CentralHa;

/// <summary>
/// Two central controller processes on one central database and one site (its distributor and a client in the test):
/// the configuration is seeded through the test's own center, which then stops; center A starts and takes the central
/// lease, then center B stands by. Both simulate activity, so real-time rows flow from whichever is active.
/// </summary>
public abstract class CentralPairTest : SystemTest
{
    protected static readonly TimeSpan Lease = TimeSpan.FromSeconds(2);

    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    protected CenterProcess A { get; private set; } = null!;

    protected CenterProcess B { get; private set; } = null!;

    protected long FirstEpoch { get; private set; }

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedSalesTeamAsync();
        await Rtd.StopAsync(Rtd.Central); // gives its lease up

        var settings = new Dictionary<string, string>
        {
            ["RealTime:Simulate"] = "true",
            ["RealTime:Interval"] = "00:00:00.250",
            ["RealTime:CallsPerSecond"] = "20",
            ["Central:Lease:Duration"] = Lease.ToString(),
            ["Central:Checkpoint:Interval"] = "00:00:00.500",
        };
        A = Rtd.StartCenterProcess(settings);
        FirstEpoch = await A.WaitHolderAsync(TimeSpan.FromSeconds(90));
        B = Rtd.StartCenterProcess(settings);
        await Eventually.Until(B.LeaseAsync, l => l is { Holder: false }, "center B to stand by", TimeSpan.FromSeconds(90));
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.CallType, "7", r => CallsOfferedToday(r) > 0, TimeSpan.FromSeconds(60));
    }

    public override async Task DisposeAsync()
    {
        A?.Dispose();
        B?.Dispose();
        await base.DisposeAsync();
    }

    protected static long CallsOfferedToday(RealTimeDistributor.Client.View.ViewRow row) => row.Value?.GetProperty("callsOfferedToday").GetInt64() ?? 0;

    /// <summary>Call type 7's offered calls today in the last statistics checkpoint.</summary>
    protected Task<long> CheckpointOfferedTodayAsync() =>
        CentralBacklog.QueryCentralAsync<long>(Rtd.CentralDatabase,
            "SELECT coalesce((state->'callTypes'->'7'->'today'->>'offered')::bigint, 0) FROM statistics_checkpoint WHERE id = 1");

    protected RealTimeDistributor.Distributor.CentralEpochFence Fence => Distributor.Services.GetRequiredService<RealTimeDistributor.Distributor.CentralEpochFence>();

    protected static void AssertOk(HttpStatusCode status) => Assert.Equal(HttpStatusCode.OK, status);
}
