using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.RealTime.Gateways;

/// <summary>
/// Where the statistics engine's activity comes from, from the "RealTime" section: <c>Source</c> is <c>gateways</c> (peripheral
/// gateways over the broker or HTTP: <see cref="GatewayActivity"/>), <c>simulation</c> (the in-process
/// <see cref="SimulatedActivity"/>, kept for the fast tests and a center without gateways) or <c>off</c>. Without
/// <c>Source</c>, <c>RealTime:Simulate</c> (true: simulation, false: off) decides, as before. A peripheral that sends nothing
/// for <c>PeripheralTimeout</c> is shown offline; an event more than <c>MaxFuture</c> ahead of or <c>MaxPast</c> behind
/// the center's clock is refused; so is an event more than <c>MaxSequenceJump</c> (default 1,000,000) above its session's
/// last sequence (one forged far-future sequence would otherwise make every later genuine event of the session a duplicate).
/// </summary>
public sealed record ActivityOptions(string Source, TimeSpan PeripheralTimeout, TimeSpan MaxFuture, TimeSpan MaxPast,
    long MaxSequenceJump = ActivityOptions.DefaultMaxSequenceJump)
{
    public const long DefaultMaxSequenceJump = 1_000_000;

    public const string Gateways = "gateways";
    public const string Simulation = "simulation";
    public const string Off = "off";

    public static ActivityOptions From(IConfiguration configuration)
    {
        var source = configuration["RealTime:Source"]?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(source))
        {
            source = configuration.Bool("RealTime:Simulate", true) ? Simulation : Off;
        }
        if (source is not (Gateways or Simulation or Off))
        {
            throw new InvalidConfigurationException("RealTime:Source", $"is '{source}': it must be {Gateways}, {Simulation} or {Off}.");
        }
        return new(source,
            configuration.Duration("RealTime:PeripheralTimeout", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200), TimeSpan.FromHours(1)),
            configuration.Duration("RealTime:MaxFuture", TimeSpan.FromMinutes(5), TimeSpan.Zero, TimeSpan.FromDays(1)),
            configuration.Duration("RealTime:MaxPast", TimeSpan.FromHours(1), TimeSpan.FromSeconds(1), TimeSpan.FromDays(7)),
            configuration.Int("RealTime:MaxSequenceJump", (int)DefaultMaxSequenceJump, 1, int.MaxValue));
    }
}
