using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>The client's web wallboard in headless Chromium: a central change reaches the open page without a reload.</summary>
public sealed class When_a_wallboard_shows_the_live_view : IAsyncLifetime
{
    private RtdSystem _system = null!;
    private WebApplication _client = null!;
    private ClientView _view = null!;

    public async Task InitializeAsync()
    {
        _system = await RtdSystem.StartAsync();
        var site = _system.Site("a");
        await _system.StartDistributorAsync(site);
        _client = await _system.StartClientAsync(site, "wall");
        _view = _client.Services.GetRequiredService<ClientView>();
    }

    public async Task DisposeAsync() => await _system.DisposeAsync();

    [Fact]
    public async Task Should_show_a_central_change_without_reloading_the_page()
    {
        await _system.PutConfigAsync("peripheral", 1, new { name = "ACD 1", kind = "acd" });
        await _system.PutConfigAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        await PublishAsync(agentsReady: 2, version: 1);
        await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Version == 1);

        await using var browser = await HeadlessChromium.OpenAsync(new Uri(_client.Urls.First() + "/"));
        await browser.WaitForTextAsync("#r-realtime-skillgroup-10 .value", "agentsReady: 2");
        await browser.WaitForTextAsync("#r-config-skillgroup-10 .value", "Sales");
        await browser.EvaluateAsync("window.loadedOnce = 'yes'");

        await PublishAsync(agentsReady: 5, version: 2);
        await _system.PutConfigAsync("skillgroup", 10, new { name = "Sales EMEA", peripheralId = 1 });

        await _view.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Version == 2);
        await browser.WaitForTextAsync("#r-realtime-skillgroup-10 .value", "agentsReady: 5");
        await browser.WaitForTextAsync("#r-config-skillgroup-10 .value", "Sales EMEA");
        await browser.WaitForTextAsync("#t-realtime-skillgroup h2", "1 rows");
        Assert.Equal("yes", (await browser.EvaluateAsync("window.loadedOnce")).GetString());
    }

    private Task PublishAsync(int agentsReady, long version) =>
        _system.Central.Services.GetRequiredService<Central.RealTime.RealTimePublisher>().PublishAsync(RealTimeTables.SkillGroup,
            [new RealTimeRow("10", version, DateTimeOffset.UtcNow, Json.ToElement(new { agentsReady, agentsTalking = 1 }))], fullRefresh: false,
            CancellationToken.None);
}
