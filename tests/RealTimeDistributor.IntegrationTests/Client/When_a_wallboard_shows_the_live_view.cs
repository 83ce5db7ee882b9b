using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// The client's web wallboard in headless Chromium, on a small center (five skill groups, 36 agents, four call types, a
/// service): the tiles show the client's view, the agent grid joins the names from the configuration and filters (a
/// skill group by its members, in every state), a central change reaches the open page without a reload, and
/// screenshots are written at 1920x1080 and 1280x800 (bin/.../screenshots/; docs/img/ holds a pair of them). In kiosk
/// mode the tiles fit a TV at both sizes with nothing cut off, a URL scopes them to skill groups, and a stale site's
/// figures are dimmed with their timers stopped at the moment they froze.
/// </summary>
public sealed class When_a_wallboard_shows_the_live_view : SystemTest
{
    private static readonly (int Id, string Name, int Queued, int LongestSeconds, double ServiceLevel)[] Groups =
    [
        (10, "Sales", 3, 75, 0.86), (11, "Support", 7, 142, 0.72), (12, "Billing", 0, 0, 0.93), (13, "Retention", 12, 318, 0.41),
        (14, "Technical L2", 1, 24, 0.81),
    ];

    private static readonly string[] Names =
    [
        "Ana Pereira", "Ben Okafor", "Chloé Martin", "Dmitri Volkov", "Elif Yılmaz", "Farah Haddad", "George Lee", "Hana Sato",
        "Ivan Petrov", "Jade Wilson", "Kofi Mensah", "Lena Fischer", "Marco Rossi", "Nadia Karim", "Oscar Díaz", "Priya Nair",
        "Quentin Moreau", "Rosa Lopez", "Sam Cohen", "Tara Byrne", "Umar Siddiqui", "Vera Novak", "Will Turner", "Xin Chen",
        "Yara Costa", "Zoe Adams", "Alan Brooks", "Bea Santos", "Carl Jensen", "Dana Levi", "Emil Berg", "Fay Morgan",
        "Gus Almeida", "Hugo Blanc", "Iris Kim", "Jon Reyes",
    ];

    private static readonly string[] States = ["talking", "ready", "talking", "wrap-up", "talking", "not-ready", "ready", "talking", "logged-out"];

    private DateTimeOffset _now;

    protected override bool StartsDistributor => true;

    protected override bool StartsClient => true;

    protected override string Workstation => "wall";

    protected override Dictionary<string, string?> ClientSettings => new()
    {
        ["Client:Wallboard:ServiceLevelGreen"] = "80",
        ["Client:Wallboard:ServiceLevelAmber"] = "70",
        ["Client:Wallboard:TimeInState:NotReady:Amber"] = "00:03:00",
        ["Client:Wallboard:TimeInState:NotReady:Red"] = "00:06:00",
        ["Client:Wallboard:TimeInState:Talking:Amber"] = "00:02:00",
        ["Client:Wallboard:TimeInState:Talking:Red"] = "00:06:00",
    };

    [Fact]
    public async Task Should_show_the_tiles_and_agents_of_the_view_and_follow_a_central_change()
    {
        await ConfigureCenterAsync();
        _now = DateTimeOffset.UtcNow;
        await PublishAsync(version: 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "1036", r => r.Version == 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "14", r => r.Version == 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Service, "30", r => r.Version == 1);

        await using var browser = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/"));
        await browser.WaitForTextAsync("#agents tbody tr[data-agent='1035'] .name", "Iris Kim");
        await browser.WaitForTextAsync("#services tr[data-key='30']", "Chicago voice");
        await browser.WaitForTextAsync("#freshness", "agent: live");
        await browser.EvaluateAsync("window.loadedOnce = 'yes'");

        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        foreach (var (width, height) in new[] { (1920, 1080), (1280, 800) })
        {
            var path = Path.Combine(screenshots, $"wallboard-{width}x{height}.png");
            await browser.ScreenshotAsync(path, width, height);
            Assert.True(new FileInfo(path).Length > 10_000, $"{path} is a screenshot");
        }

        await AssertTilesEqualTheViewAsync(browser);
        await AssertTheLongestWaitTicksAsync(browser);
        await AssertTheAgentGridAsync(browser);

        // a change at the center: an agent renamed in the configuration, a skill group's queue grows
        await PutAsync("agent", 1001, new { name = "Ana Pereira-Silva", peripheralId = 1 });
        await PublishSkillGroupAsync(Groups[0] with { Queued = 9 }, version: 2);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "10", r => r.Version == 2);
        await browser.WaitForTextAsync("#agents tbody tr[data-agent='1001'] .name", "Ana Pereira-Silva");
        await browser.WaitForTextAsync("[data-skillgroup='10'] .queued", "9");
        await AssertTilesEqualTheViewAsync(browser);
        Assert.Equal("yes", (await browser.EvaluateAsync("window.loadedOnce")).GetString());
    }

    [Fact]
    public async Task Should_fit_a_tv_in_kiosk_mode_scope_it_by_url_and_dim_a_stale_site()
    {
        await ConfigureCenterAsync();
        // the rows were computed two minutes ago and nothing came since: stale at once (Client:StaleAfter, 45 s)
        _now = DateTimeOffset.UtcNow.AddMinutes(-2);
        await PublishAsync(version: 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, "14", r => r.Version == 1);

        await using var browser = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/?kiosk=1&rotate=3"));
        await browser.WaitForTextAsync("#freshness", "skillgroup: stale since");
        await browser.WaitForTextAsync("[data-skillgroup='13'] .age", "ago");
        var screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");
        foreach (var (width, height) in new[] { (1920, 1080), (1280, 800) })
        {
            // the page draws again on a resize: wait for that draw, then look
            await browser.EvaluateAsync("window.drawnBefore = document.body.dataset.drawn");
            await browser.ResizeAsync(width, height);
            await browser.EvaluateAsync("""
                new Promise(resolve => { const t = setInterval(() => { if (document.body.dataset.drawn !== window.drawnBefore) { clearInterval(t); resolve(true); } }, 50); })
                """);
            await browser.ScreenshotAsync(Path.Combine(screenshots, $"wallboard-kiosk-{width}x{height}.png"), width, height);
            var fit = await browser.EvaluateAsync("""
                (() => {
                  const out = [];
                  const d = document.scrollingElement;
                  if (d.scrollHeight > innerHeight || d.scrollWidth > innerWidth) out.push(`page ${d.scrollWidth}x${d.scrollHeight}`);
                  for (const e of document.querySelectorAll('#top, #top *, #skillgroups .tile:not([hidden]), #skillgroups .tile:not([hidden]) *')) {
                    const r = e.getBoundingClientRect();
                    if (r.width === 0 || e.closest('svg') && e.tagName !== 'svg') continue;
                    if (r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5 || r.left < -0.5) out.push(`${e.tagName}.${e.className} ${r.right}x${r.bottom}`);
                    if (e.matches('.n, td, th, label, b') && e.scrollWidth > e.clientWidth + 1) out.push(`${e.tagName}.${e.className} text cut`);
                  }
                  return { out, pages: Number(document.body.dataset.pages), shown: document.querySelectorAll('#skillgroups .tile:not([hidden])').length };
                })()
                """);
            Assert.Empty(fit.GetProperty("out").EnumerateArray().Select(e => $"{width}x{height}: {e.GetString()}"));
            Assert.True(fit.GetProperty("shown").GetInt32() >= 1, $"{width}x{height}: no tile shown");
            var pages = fit.GetProperty("pages").GetInt32();
            Assert.Equal(pages, (int)Math.Ceiling((Groups.Length + 1) / (double)fit.GetProperty("shown").GetInt32()));
            if (pages > 1)
            {
                // the pages rotate (every 3 s here) and together show every tile
                var seen = await browser.EvaluateAsync($$"""
                    new Promise(resolve => {
                      const seen = new Set();
                      const look = () => document.querySelectorAll('#skillgroups .tile:not([hidden])').forEach(t => seen.add(t.dataset.skillgroup));
                      look();
                      const timer = setInterval(() => { look(); if (seen.size === {{Groups.Length + 1}}) { clearInterval(timer); resolve([...seen]); } }, 200);
                      setTimeout(() => { clearInterval(timer); resolve([...seen]); }, {{pages * 3000 + 3000}});
                    })
                    """);
                Assert.Equal(Groups.Length + 1, seen.GetArrayLength());
            }
        }

        // stale: dimmed, the longest wait stopped at the moment the figures froze (318 s before the rows' time) and not moving
        var stale = await browser.EvaluateAsync("""
            new Promise(resolve => {
              const read = () => [...document.querySelectorAll('#skillgroups .tile')].map(t => ({
                key: t.dataset.skillgroup, stale: t.classList.contains('stale'), opacity: Number(getComputedStyle(t.querySelector('.big')).opacity),
                wait: t.querySelector('.wait').textContent }));
              const first = read();
              setTimeout(() => resolve({ first, later: read() }), 2500);
            })
            """);
        var first = stale.GetProperty("first").EnumerateArray().ToList();
        Assert.All(first, t => Assert.True(t.GetProperty("stale").GetBoolean() && t.GetProperty("opacity").GetDouble() < 0.5, $"tile {t.GetProperty("key")} dimmed"));
        Assert.Equal("05:18", first.Single(t => t.GetProperty("key").GetString() == "13").GetProperty("wait").GetString());
        Assert.Equal(first.Select(t => t.GetProperty("wait").GetString()), stale.GetProperty("later").EnumerateArray().Select(t => t.GetProperty("wait").GetString()));

        // scoped by the URL: the tiles of skill groups 11 and 13 and their total only
        await using var scoped = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/?group=11,13"));
        await scoped.WaitForTextAsync("[data-skillgroup='total'] h3", "Total of these groups");
        var keys = await scoped.EvaluateAsync("[...document.querySelectorAll('#skillgroups .tile')].map(t => t.dataset.skillgroup)");
        // the total first, then the groups by name: Retention (13), Support (11)
        Assert.Equal(["total", "13", "11"], keys.EnumerateArray().Select(k => k.GetString()!));
        var queued = Groups.Where(g => g.Id is 11 or 13).Sum(g => g.Queued).ToString(CultureInfo.InvariantCulture);
        await scoped.WaitForTextAsync("[data-skillgroup='total'] .queued", queued);
    }

    /// <summary>
    /// A team-scoped URL (by name, case ignored, or id): the page passes it on to GET /events, which sends the rows of
    /// that board only; the team's tile, the tiles of its members' skill groups only, and in the grid its members and
    /// supervisor only, each with its team and skill groups; a not-ready agent's reason by its
    /// text (the bare code where none is configured); times in state coloured by the configured thresholds.
    /// </summary>
    [Fact]
    public async Task Should_scope_the_board_to_a_team_by_url_and_name_the_reasons()
    {
        await ConfigureCenterAsync();
        foreach (var (code, text) in new[] { (1, "Break"), (2, "Lunch"), (3, "Meeting"), (4, "Training") })
        {
            await PutAsync("reasoncode", code, new { peripheralId = 1, code, text });
        }
        await PutAsync("team", 7, new { name = "Blue team", peripheralId = 1 });
        await PutAsync("team", 8, new { name = "Green team", peripheralId = 1 });
        // Blue: the agents whose skill groups are Sales (10) and Support (11) only; Green: the others; 1015 supervises Blue
        var blue = Enumerable.Range(0, Names.Length).Where(i => MemberOf(i).All(g => g is 10 or 11)).ToList();
        for (var i = 0; i < Names.Length; i++)
        {
            await PutAsync("teammember", 100 + i, new { teamId = blue.Contains(i) ? 7 : 8, agentId = 1001 + i });
        }
        await PutAsync("teamsupervisor", 1, new { teamId = 7, agentId = 1015 });
        await View.WaitForAsync(SiteUpdate.ConfigKind, "teamsupervisor", "1", _ => true);
        _now = DateTimeOffset.UtcNow;
        await PublishAsync(version: 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "1036", r => r.Version == 1);

        await using var browser = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/?team=blue+TEAM"));
        await browser.WaitForTextAsync("[data-skillgroup='team'] h3", "Blue team");
        await browser.WaitForTextAsync("#agents tbody tr[data-agent='1006'] .reason", "Break");
        await browser.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "screenshots", "wallboard-team-1920x1080.png"), 1920, 1080);
        var shown = await browser.EvaluateAsync("""
            (() => { const s = document.querySelector('#filter-state'); s.value = ''; s.dispatchEvent(new Event('input'));
                     return { tiles: [...document.querySelectorAll('#skillgroups .tile')].map(t => t.dataset.skillgroup),
                              members: document.querySelector("[data-skillgroup='team'] .members").textContent,
                              rows: [...document.querySelectorAll('#agents tbody tr')].map(tr => ({ key: tr.dataset.agent, state: tr.dataset.state,
                                team: tr.querySelector('.team').textContent, groups: tr.querySelector('.groups').textContent,
                                reason: tr.querySelector('.reason').textContent, time: tr.querySelector('.time').textContent,
                                cls: tr.querySelector('.time').className })) }; })()
            """);
        Assert.Equal(["team", "total", "10", "11"], shown.GetProperty("tiles").EnumerateArray().Select(t => t.GetString()!));
        // the page passed its scope on (events?team=...): the client sent it the rows of the team's agents only, and the
        // tiles of its members' groups; the page draws the same board from them as from the whole site's
        var held = await browser.EvaluateAsync("""
            ['realtime|agent', 'config|agent', 'realtime|skillgroup'].map(t => [...window.wallboard.tables.get(t).keys()])
            """);
        var team = blue.Select(i => 1001 + i).Append(1015).Order().Select(k => k.ToString(CultureInfo.InvariantCulture)).ToList();
        Assert.Equal([team, team, ["10", "11"]], held.EnumerateArray().Select(t => t.EnumerateArray().Select(k => k.GetString()!).Order().ToList()));
        // the total's SL treats abandons as the rows say (serviceLevelType 1, ignore): Σ met ÷ Σ (offered − abandoned within)
        var groups = Groups.Where(g => g.Id is 10 or 11).Select(g => (Offered: 20 + (g.Id * 7 % 30), g.ServiceLevel)).ToList();
        var met = groups.Sum(g => ServiceLevelCalls(g.Offered, g.ServiceLevel));
        var within = groups.Sum(g => (int)Math.Round(g.Offered * (1 - g.ServiceLevel) / 3));
        var total = Math.Round(Math.Round(met / (double)(groups.Sum(g => g.Offered) - within), 4) * 100, MidpointRounding.AwayFromZero);
        await browser.WaitForTextAsync("[data-skillgroup='total'] .sl", $"{total}%");
        Assert.Equal((blue.Count + 1).ToString(CultureInfo.InvariantCulture), shown.GetProperty("members").GetString());
        var rows = shown.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("key").GetString()!);
        Assert.Equal(blue.Select(i => 1001 + i).Append(1015).Order().Select(k => k.ToString(CultureInfo.InvariantCulture)), rows.Keys.Order());
        Assert.All(blue, i => Assert.Equal("Blue team", rows[(1001 + i).ToString(CultureInfo.InvariantCulture)].GetProperty("team").GetString()));
        Assert.Equal("Green team supervisor", rows["1015"].GetProperty("team").GetString());
        Assert.Equal("Support", rows["1002"].GetProperty("groups").GetString());
        // 1006 is not ready with code 1 (Break); 1015 with code 5, which has no text
        Assert.Equal("Break", rows["1006"].GetProperty("reason").GetString());
        Assert.Equal("5", rows["1015"].GetProperty("reason").GetString());
        // the colour of each time in state follows the thresholds (not ready 3 / 6 min, talking 2 / 6 min), as of the time shown
        var colours = rows.Values.Where(r => r.GetProperty("state").GetString() is "not-ready" or "talking").Select(r =>
        {
            var seconds = TimeSpan.ParseExact(r.GetProperty("time").GetString()!, @"mm\:ss", CultureInfo.InvariantCulture).TotalSeconds;
            var (amber, red) = r.GetProperty("state").GetString() == "not-ready" ? (180, 360) : (120, 360);
            var expected = seconds >= red ? "t-bad" : seconds >= amber ? "t-warn" : "";
            Assert.Equal(expected, r.GetProperty("cls").GetString()!.Replace("num time", "", StringComparison.Ordinal).Trim());
            return expected;
        }).ToList();
        Assert.Contains("t-warn", colours);
        Assert.Contains("t-bad", colours);

        // the team's calls: its members' rows summed (not its supervisor 1015's, a member of Green), the AHT weighted by the calls handled
        var calls = await browser.EvaluateAsync("""
            [...document.querySelectorAll("[data-skillgroup='team'] .team-calls td")].map(td => `${td.className}=${td.textContent}`)
            """);
        string Weighted(string window)
        {
            var known = blue.Select(i => AgentCalls(i, window)).Where(c => c.Aht is not null && c.Handled > 0).ToList();
            var seconds = Math.Round(known.Sum(c => c.Aht!.Value * c.Handled) / known.Sum(c => c.Handled), 1, MidpointRounding.AwayFromZero);
            return TimeSpan.FromSeconds(Math.Floor(seconds)).ToString(@"mm\:ss", CultureInfo.InvariantCulture);
        }
        Assert.Equal(new[] { "Half", "Today" }.SelectMany(w => new[]
        {
            $"num answered{w}={blue.Sum(i => AgentCalls(i, w).Answered)}", $"num handled{w}={blue.Sum(i => AgentCalls(i, w).Handled)}", $"num aht{w}={Weighted(w)}",
        }), calls.EnumerateArray().Select(c => c.GetString()!));

        // the grid's own filter joins the team in the URL; the team by its id shows the same team
        var search = await browser.EvaluateAsync("""
            (() => { const g = document.querySelector('#filter-group'); g.value = '11'; g.dispatchEvent(new Event('input')); return location.search; })()
            """);
        Assert.Equal("?team=blue+TEAM&filter=11", search.GetString());
        await using var byId = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/?team=8&kiosk=1"));
        await byId.WaitForTextAsync("[data-skillgroup='team'] h3", "Green team");
    }

    /// <summary>
    /// A skill group's own thresholds (its skillgroup row, edited through the admin API and carried center -> replica ->
    /// client) colour its tile and its members' not-ready times instead of the site's defaults; a group without any keeps them.
    /// </summary>
    [Fact]
    public async Task Should_colour_a_skill_group_by_its_own_thresholds()
    {
        await ConfigureCenterAsync();
        // Support (SL 72 %, 7 queued, longest 142 s): green from 70 % (the site's is 80), queue amber from 5, wait red from 120 s
        await PutAsync("skillgroup", 11, new
        {
            name = "Support",
            peripheralId = 1,
            serviceLevelGreen = 70,
            serviceLevelAmber = 60,
            queueAmber = 5,
            queueRed = 10,
            longestWaitAmberSeconds = 60,
            longestWaitRedSeconds = 120,
        });
        // Sales: its members' not ready amber from 30 s, red from 60 s (the site's: 3 and 6 min)
        await PutAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1, notReadyAmberSeconds = 30, notReadyRedSeconds = 60 });
        await View.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "10", r => r.Value!.Value.GetProperty("notReadyRedSeconds").GetInt32() == 60);
        await View.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "11", r => r.Value!.Value.GetProperty("queueAmber").GetInt32() == 5);
        _now = DateTimeOffset.UtcNow;
        await PublishAsync(version: 1);
        await View.WaitForAsync(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "1036", r => r.Version == 1);

        await using var browser = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/"));
        await browser.WaitForTextAsync("[data-skillgroup='11'] .queued", "7");
        var shown = await browser.EvaluateAsync("""
            (() => { const s = document.querySelector('#filter-state'); s.value = 'not-ready'; s.dispatchEvent(new Event('input'));
                     const t = k => document.querySelector(`[data-skillgroup='${k}']`);
                     return { support: [t(11).className, t(11).querySelector('.sl').className, t(11).querySelector('.queued').className, t(11).querySelector('.wait').className],
                              retention: [t(13).querySelector('.queued').className, t(13).querySelector('.wait').className],
                              rows: [...document.querySelectorAll('#agents tbody tr')].map(tr => ({ key: tr.dataset.agent,
                                time: tr.querySelector('.time').textContent, cls: tr.querySelector('.time').className })) }; })()
            """);
        string[] Classes(string name) => [.. shown.GetProperty(name).EnumerateArray().Select(c => c.GetString()!)];
        var support = Classes("support");
        Assert.Contains("sl-good", support[0].Split(' '));
        Assert.Contains("sl-good", support[1].Split(' '));
        Assert.Contains("t-warn", support[2].Split(' '));
        Assert.Contains("t-bad", support[3].Split(' '));
        // Retention sets nothing: its queue of 12 uncoloured, its wait of 318 s amber from a minute as before
        var retention = Classes("retention");
        Assert.DoesNotContain("t-", retention[0], StringComparison.Ordinal);
        Assert.Contains("long", retention[1].Split(' '));
        var rows = shown.GetProperty("rows").EnumerateArray().ToList();
        Assert.NotEmpty(rows);
        var sales = Enumerable.Range(0, Names.Length).Where(i => MemberOf(i).Contains(10)).Select(i => (1001 + i).ToString(CultureInfo.InvariantCulture)).ToHashSet();
        var differs = false;
        foreach (var row in rows)
        {
            var seconds = TimeSpan.ParseExact(row.GetProperty("time").GetString()!, @"mm\:ss", CultureInfo.InvariantCulture).TotalSeconds;
            string Colour(int amber, int red) => seconds >= red ? "t-bad" : seconds >= amber ? "t-warn" : "";
            var expected = sales.Contains(row.GetProperty("key").GetString()!) ? Colour(30, 60) : Colour(180, 360);
            Assert.Equal(expected, row.GetProperty("cls").GetString()!.Replace("num time", "", StringComparison.Ordinal).Trim());
            differs |= expected != Colour(180, 360);
        }
        Assert.True(differs, "no Sales member was not ready for a time the group's limits colour differently from the site's");
        await browser.ScreenshotAsync(Path.Combine(AppContext.BaseDirectory, "screenshots", "wallboard-thresholds-1920x1080.png"), 1920, 1080);
    }

    [Fact]
    public async Task Should_keep_the_raw_tables_and_versions_on_the_diagnostics_page()
    {
        await PutAsync("peripheral", 1, new { name = "ACD Chicago", kind = "acd" });
        await PutAsync("skillgroup", 10, new { name = "Sales", peripheralId = 1 });
        await View.WaitForAsync(SiteUpdate.ConfigKind, "skillgroup", "10", _ => true);

        await using var browser = await HeadlessChromium.OpenAsync(new Uri(Client.Urls.First() + "/diagnostics"));
        await browser.WaitForTextAsync("#r-config-skillgroup-10 .value", "Sales");
        await browser.WaitForTextAsync("#t-config-skillgroup-status", "skillgroup");
        var version = View.Find(SiteUpdate.ConfigKind, "skillgroup", "10")!.Version;
        await browser.WaitForTextAsync("#r-config-skillgroup-10 .version", version.ToString(CultureInfo.InvariantCulture));
    }

    private async Task AssertTilesEqualTheViewAsync(HeadlessChromium browser)
    {
        var tiles = await browser.EvaluateAsync("""
            [...document.querySelectorAll('#skillgroups .tile:not(.total)')].map(t => ({
              key: t.dataset.skillgroup, cls: t.className,
              ...Object.fromEntries(['queued', 'sl', 'ready', 'talking', 'wrapup', 'notready', 'offeredTo5', 'answeredTo5', 'abandonedTo5',
                'offeredHalf', 'answeredHalf', 'abandonedHalf'].map(c => [c, t.querySelector('.' + c).textContent]))
            }))
            """);
        Assert.Equal(Groups.Length, tiles.GetArrayLength());
        foreach (var tile in tiles.EnumerateArray())
        {
            var row = View.Find(SiteUpdate.RealTimeKind, RealTimeTables.SkillGroup, tile.GetProperty("key").GetString()!)!.Value!.Value;
            string Text(string name) => tile.GetProperty(name).GetString()!;
            Assert.Equal(row.GetProperty("callsQueuedNow").GetInt32().ToString(CultureInfo.InvariantCulture), Text("queued"));
            var serviceLevel = Math.Round(row.GetProperty("serviceLevelHalf").GetDouble() * 100, MidpointRounding.AwayFromZero);
            Assert.Equal($"{serviceLevel}%", Text("sl"));
            Assert.Contains(serviceLevel >= 80 ? "sl-good" : serviceLevel >= 70 ? "sl-warn" : "sl-bad", Text("cls"), StringComparison.Ordinal);
            foreach (var (text, column) in new[]
            {
                ("ready", "agentsReady"), ("talking", "agentsTalking"), ("wrapup", "agentsWrapUp"), ("notready", "agentsNotReady"),
                ("offeredTo5", "callsOfferedTo5"), ("answeredTo5", "callsAnsweredTo5"), ("abandonedTo5", "callsAbandonedTo5"),
                ("offeredHalf", "callsOfferedHalf"), ("answeredHalf", "callsAnsweredHalf"), ("abandonedHalf", "callsAbandonedHalf"),
            })
            {
                Assert.Equal(row.GetProperty(column).GetInt32().ToString(CultureInfo.InvariantCulture), Text(text));
            }
        }
    }

    /// <summary>The longest wait is the browser's now minus longestInQueueSince, as mm:ss, and it moves every second.</summary>
    private async Task AssertTheLongestWaitTicksAsync(HeadlessChromium browser)
    {
        var first = (await browser.EvaluateAsync("document.querySelector(\"[data-skillgroup='13'] .wait\").textContent")).GetString()!;
        var elapsed = (int)Math.Ceiling((DateTimeOffset.UtcNow - _now).TotalSeconds);
        var seconds = (int)TimeSpan.ParseExact(first, @"mm\:ss", CultureInfo.InvariantCulture).TotalSeconds;
        Assert.InRange(seconds, 318 - 1, 318 + elapsed + 1);
        var next = await browser.EvaluateAsync($$"""
            new Promise(resolve => {
              const read = () => document.querySelector("[data-skillgroup='13'] .wait").textContent;
              const timer = setInterval(() => { if (read() !== {{JsonSerializer.Serialize(first)}}) { clearInterval(timer); resolve(read()); } }, 100);
              setTimeout(() => { clearInterval(timer); resolve(read()); }, 5000);
            })
            """);
        Assert.True(TimeSpan.ParseExact(next.GetString()!, @"mm\:ss", CultureInfo.InvariantCulture).TotalSeconds > seconds, $"the wait moved on from {first}");
    }

    private async Task AssertTheAgentGridAsync(HeadlessChromium browser)
    {
        var agents = View.Rows().Where(r => r.Kind == SiteUpdate.RealTimeKind && r.Table == RealTimeTables.Agent).ToList();
        string StateOf(ViewRow r) => r.Value!.Value.GetProperty("state").GetString()!;
        var shown = await browser.EvaluateAsync("[...document.querySelectorAll('#agents tbody tr')].map(tr => [tr.dataset.agent, tr.dataset.state, tr.querySelector('.name').textContent])");
        Assert.Equal(agents.Count(a => StateOf(a) != "logged-out"), shown.GetArrayLength());
        var names = shown.EnumerateArray().Select(a => a[2].GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.CurrentCulture), names);
        Assert.All(shown.EnumerateArray(), a => Assert.Equal(StateOf(agents.Single(r => r.Key == a[0].GetString())), a[1].GetString()));

        var ready = await browser.EvaluateAsync("""
            (() => { const s = document.querySelector('#filter-state'); s.value = 'ready'; s.dispatchEvent(new Event('input'));
                     const g = document.querySelector('#filter-group'); g.value = '11'; g.dispatchEvent(new Event('input'));
                     return [...document.querySelectorAll('#agents tbody tr')].map(tr => tr.dataset.agent); })()
            """);
        bool InGroup11(ViewRow a) => MemberOf(int.Parse(a.Key, CultureInfo.InvariantCulture) - 1001).Contains(11)
            || a.Value!.Value.GetProperty("skillGroupId") is { ValueKind: JsonValueKind.Number } g && g.GetInt64() == 11;
        var expected = agents.Where(a => StateOf(a) == "ready" && InGroup11(a)).Select(a => a.Key).Order();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ready.EnumerateArray().Select(a => a.GetString()!).Order());
        // every member of the group, in every state (logged out too), whatever group its current call is for
        var members = await browser.EvaluateAsync("""
            (() => { const s = document.querySelector('#filter-state'); s.value = ''; s.dispatchEvent(new Event('input'));
                     return [...document.querySelectorAll('#agents tbody tr')].map(tr => tr.dataset.agent); })()
            """);
        var allOf11 = agents.Where(InGroup11).Select(a => a.Key).Order().ToList();
        Assert.Contains(allOf11, k => StateOf(agents.Single(a => a.Key == k)) == "logged-out");
        Assert.Equal(allOf11, members.EnumerateArray().Select(a => a.GetString()!).Order());

        var searched = await browser.EvaluateAsync("""
            (() => { document.querySelector('#filter-state').value = ''; document.querySelector('#filter-group').value = '';
                     const n = document.querySelector('#filter-name'); n.value = 'reyes'; n.dispatchEvent(new Event('input'));
                     const found = [...document.querySelectorAll('#agents tbody tr .name')].map(td => td.textContent);
                     n.value = ''; document.querySelector('#filter-state').value = 'on'; n.dispatchEvent(new Event('input'));
                     return found; })()
            """);
        Assert.Equal(["Jon Reyes"], searched.EnumerateArray().Select(a => a.GetString()!));
    }

    private async Task ConfigureCenterAsync()
    {
        await PutAsync("peripheral", 1, new { name = "ACD Chicago", kind = "acd" });
        foreach (var group in Groups)
        {
            await PutAsync("skillgroup", group.Id, new { name = group.Name, peripheralId = 1 });
        }
        for (var i = 0; i < Names.Length; i++)
        {
            await PutAsync("agent", 1001 + i, new { name = Names[i], peripheralId = 1 });
        }
        foreach (var (id, name, seconds) in new[] { (20, "Sales inbound", 20), (21, "Support inbound", 30), (22, "Billing enquiries", 20), (23, "Callbacks", 60) })
        {
            await PutAsync("calltype", id, new { name, serviceLevelSeconds = seconds });
        }
        for (var i = 0; i < Names.Length; i++)
        {
            foreach (var (group, n) in MemberOf(i).Select((g, n) => (g, n)))
            {
                await PutAsync("skillgroupmember", 1 + (i * 2) + n, new { agentId = 1001 + i, skillGroupId = group });
            }
        }
        await PutAsync("service", 30, new { name = "Chicago voice", peripheralId = 1 });
        await View.WaitForAsync(SiteUpdate.ConfigKind, "service", "30", _ => true);
    }

    /// <summary>Agent i is a member of the skill group of its current call and, one in four, of the group after the next.</summary>
    private static int[] MemberOf(int i) =>
        i % 4 == 0 ? [Groups[i % Groups.Length].Id, Groups[(i + 2) % Groups.Length].Id] : [Groups[i % Groups.Length].Id];

    private async Task PublishAsync(long version)
    {
        foreach (var group in Groups)
        {
            await PublishSkillGroupAsync(group, version);
        }
        var agents = Names.Select((_, i) =>
        {
            var state = States[i % States.Length];
            return new RealTimeRow((1001 + i).ToString(CultureInfo.InvariantCulture), version, _now, Json.ToElement(new
            {
                state,
                reasonCode = state == "not-ready" ? 1 + (i % 5) : 0,
                stateSince = _now.AddSeconds(-(17 + (i * 37 % 600))),
                skillGroupId = state == "logged-out" ? (int?)null : Groups[i % Groups.Length].Id,
                callsAnsweredHalf = AgentCalls(i, "Half").Answered,
                callsHandledHalf = AgentCalls(i, "Half").Handled,
                averageHandleTimeHalf = AgentCalls(i, "Half").Aht,
                callsAnsweredToday = AgentCalls(i, "Today").Answered,
                callsHandledToday = AgentCalls(i, "Today").Handled,
                averageHandleTimeToday = AgentCalls(i, "Today").Aht,
            }));
        }).ToList();
        await Publish(RealTimeTables.Agent, agents);
        var calls = new[] { (20, 4, 0.84), (21, 7, 0.74), (22, 0, 0.95), (23, 12, 0.52) };
        await Publish(RealTimeTables.CallType, [.. calls.Select(c => Row(c.Item1, version, c.Item2, 60 + c.Item2 * 20, c.Item3))]);
        await Publish(RealTimeTables.Service, [Row(30, version, 23, 318, 0.78)]);
    }

    /// <summary>Agent i's calls answered, handled and AHT in a window (docs/statistics.md, "Per agent"): each agent's differ, some handled none.</summary>
    private static (int Answered, int Handled, double? Aht) AgentCalls(int i, string window) => window == "Half"
        ? (i % 4 + 1, i % 3, i % 3 == 0 ? null : 100.5 + (i * 13 % 200))
        : (i % 4 + 6, i % 3 + 4, 150.0 + (i * 7 % 120));

    private Task PublishSkillGroupAsync((int Id, string Name, int Queued, int LongestSeconds, double ServiceLevel) group, long version) =>
        Publish(RealTimeTables.SkillGroup, [Row(group.Id, version, group.Queued, group.LongestSeconds, group.ServiceLevel)]);

    private static int ServiceLevelCalls(int offered, double serviceLevel) => (int)(offered * serviceLevel * 0.8);

    /// <summary>A skill group, call type or service row (docs/statistics.md): the counts follow from the id so every tile differs.</summary>
    private RealTimeRow Row(int id, long version, int queued, int longestSeconds, double serviceLevel)
    {
        var offered = 20 + (id * 7 % 30);
        var abandoned = (int)Math.Round(offered * (1 - serviceLevel) / 3);
        return new RealTimeRow(id.ToString(CultureInfo.InvariantCulture), version, _now, Json.ToElement(new Dictionary<string, object?>
        {
            ["agentsLoggedOn"] = 4 + (id % 5),
            ["agentsReady"] = queued == 0 ? 2 : 0,
            ["agentsTalking"] = 2 + (id % 4),
            ["agentsWrapUp"] = id % 2,
            ["agentsNotReady"] = 1 + (id % 3),
            ["callsQueuedNow"] = queued,
            ["longestInQueueSince"] = queued == 0 ? null : _now.AddSeconds(-longestSeconds),
            ["callsOfferedTo5"] = offered / 6,
            ["callsAnsweredTo5"] = offered / 6 - 1,
            ["callsAbandonedTo5"] = abandoned / 6,
            ["callsOfferedHalf"] = offered,
            ["callsAnsweredHalf"] = offered - abandoned - queued / 2,
            ["callsAbandonedHalf"] = abandoned,
            ["averageSpeedOfAnswerHalf"] = 8.5 + id % 20,
            ["serviceLevelTo5"] = Math.Min(1, serviceLevel + 0.04),
            ["serviceLevelHalf"] = serviceLevel,
            // "ignore" (1): abandons within the threshold leave the denominator; the site total must follow it
            ["serviceLevelType"] = 1,
            ["serviceLevelCallsOfferedHalf"] = offered,
            ["serviceLevelCallsHalf"] = ServiceLevelCalls(offered, serviceLevel),
            ["serviceLevelAbandonedHalf"] = abandoned,
        }));
    }

    private Task Publish(string table, IReadOnlyList<RealTimeRow> rows) =>
        Rtd.Central.Services.GetRequiredService<Central.RealTime.RealTimePublisher>().PublishAsync(table, rows, fullRefresh: false, CancellationToken.None);
}
