using Microsoft.Extensions.Configuration;
using RealTimeDistributor.Client.View;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Tests.Client;

/// <summary>
/// A reason code's text comes from the reasoncode configuration of the agent's own peripheral (the bare code when none
/// is configured); the time-in-state thresholds come from Client:Wallboard:TimeInState, with their defaults, and bad
/// settings are refused by name.
/// </summary>
public sealed class When_a_wallboard_names_reasons_and_times_states
{
    private static ViewRow Config(string table, string key, object value) =>
        new(SiteUpdate.ConfigKind, table, key, 1, Json.ToElement(value), DateTimeOffset.UtcNow);

    [Fact]
    public void Should_take_the_text_of_the_agents_own_peripheral_and_fall_back_to_the_code()
    {
        var view = new ClientView();
        view.Load(1,
        [
            Config("agent", "1001", new { id = 1001, name = "Ana", peripheralId = 1 }),
            Config("agent", "2001", new { id = 2001, name = "Ben", peripheralId = 2 }),
            Config("reasoncode", "101", new { id = 101, peripheralId = 1, code = 2, text = "Lunch" }),
            Config("reasoncode", "201", new { id = 201, peripheralId = 2, code = 2, text = "Almuerzo" }),
            new ViewRow(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "1001", 1, Json.ToElement(new { state = "not-ready", reasonCode = 2 }), DateTimeOffset.UtcNow),
            new ViewRow(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "2001", 1, Json.ToElement(new { state = "not-ready", reasonCode = 7 }), DateTimeOffset.UtcNow),
            new ViewRow(SiteUpdate.RealTimeKind, RealTimeTables.Agent, "3001", 1, Json.ToElement(new { state = "ready", reasonCode = 0 }), DateTimeOffset.UtcNow),
        ]);

        Assert.Equal("Lunch", view.ReasonText("1001"));
        Assert.Equal("7", view.ReasonText("2001"));
        Assert.Equal("", view.ReasonText("3001"));
        var texts = ReasonTexts.From(view.Rows());
        Assert.Equal("Almuerzo", texts.Of("2001", 2));
        Assert.Null(texts.Of("3001", 2));
        Assert.Equal("2", texts.Label("3001", 2));
    }

    [Fact]
    public void Should_read_the_thresholds_per_state_with_defaults()
    {
        var settings = WallboardSettings.From(Settings(new()
        {
            ["Client:Wallboard:TimeInState:NotReady:Amber"] = "00:03:00",
            ["Client:Wallboard:TimeInState:Ready:Red"] = "00:00:00",
        }));

        Assert.Equal(new StateThreshold(180, 600), settings.TimeInState["not-ready"]);
        Assert.Equal(new StateThreshold(300, 0), settings.TimeInState["ready"]);
        Assert.Equal(StateThreshold.Defaults["talking"], settings.TimeInState["talking"]);
        Assert.Equal(StateThreshold.Defaults["wrap-up"], settings.TimeInState["wrap-up"]);
        Assert.Contains("\"not-ready\":{\"amberSeconds\":180,\"redSeconds\":600}", System.Text.Json.JsonSerializer.Serialize(settings, Json.Options), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Client:Wallboard:TimeInState:Lunch:Amber", "00:05:00", "Client:Wallboard:TimeInState:Lunch")]
    [InlineData("Client:Wallboard:TimeInState:Talking:Red", "00:05:00", "Client:Wallboard:TimeInState:Talking:Red")]
    [InlineData("Client:Wallboard:TimeInState:WrapUp:Amber", "soon", "Client:Wallboard:TimeInState:WrapUp:Amber")]
    public void Should_refuse_a_bad_threshold_by_name(string key, string value, string named)
    {
        var refused = Assert.Throws<InvalidConfigurationException>(() => WallboardSettings.From(Settings(new() { [key] = value })));

        Assert.Contains(named, refused.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
