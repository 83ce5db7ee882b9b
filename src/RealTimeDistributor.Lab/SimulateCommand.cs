using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Gateways;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>
/// `rtd-lab simulate --peripheral N`: a peripheral gateway of its own process that runs the seeded simulation of peripheral N
/// (its agents, skill groups, services, read from the admin API with RTD_ADMIN_KEY) and publishes its events on the
/// activity exchange as any gateway would. Broker: RTD_RABBITMQ_HOST/_PORT/_USER/_PASSWORD, RTD_RABBITMQ_CENTRAL_VHOST.
/// </summary>
internal static class SimulateCommand
{
    public static async Task<int> RunAsync(Options options)
    {
        var peripheral = long.TryParse(options["peripheral"], CultureInfo.InvariantCulture, out var p) && p > 0
            ? p : throw new UsageException("simulate needs --peripheral N (a configured peripheral's id)");
        var realTime = new RealTimeOptions(options.Duration("interval") ?? TimeSpan.FromMilliseconds(500), 30, Simulate: true,
            Int(options, "seed", 42), Int(options, "calls-per-second", 0), options.Duration("config-refresh") ?? TimeSpan.FromSeconds(30),
            Int(options, "load", RealTimeOptions.DefaultLoad));
        using var http = AdminApiClient.Create(new Uri(options["central"] ?? "http://127.0.0.1:5080"), TimeSpan.FromSeconds(30), AdminApiClient.KeyOrLocalDemo());
        using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
        await using var gateway = new PeripheralGateway(Broker(), peripheral, logs.CreateLogger("rtd.simulate"));
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        void OnExit(object? sender, EventArgs e) => stop.Cancel();
        AppDomain.CurrentDomain.ProcessExit += OnExit;
        try
        {
            await gateway.StartAsync(stop.Token);
            Console.WriteLine($"rtd-lab simulate: peripheral {peripheral}, session {gateway.Session}, seed {realTime.Seed}");
            await new SimulatedGateway(gateway, realTime, TimeProvider.System).RunAsync(ct => LoadAsync(http, ct), stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (HttpRequestException exception)
        {
            throw new UnreachableException($"the central controller's admin API at {http.BaseAddress} is unreachable ({exception.Message})");
        }
        finally
        {
            // the process exits after stop is disposed: its handler must be gone by then
            AppDomain.CurrentDomain.ProcessExit -= OnExit;
        }
        Console.WriteLine($"rtd-lab simulate: peripheral {peripheral} sent {gateway.Sequence} events");
        return 0;
    }

    /// <summary>The broker the gateway publishes to, from the environment (the local demo's defaults).</summary>
    public static RabbitMqSettings Broker() => new(
        Env("RTD_RABBITMQ_HOST", "127.0.0.1"), int.Parse(Env("RTD_RABBITMQ_PORT", "5672"), CultureInfo.InvariantCulture),
        Env("RTD_RABBITMQ_USER", "rtd"), Env("RTD_RABBITMQ_PASSWORD", "local-demo-rtd"), false, TimeSpan.FromSeconds(10),
        Env("RTD_RABBITMQ_CENTRAL_VHOST", "rtd-central"));

    /// <summary>The statistics view of the configuration, through the admin API (a reader key suffices).</summary>
    public static async Task<StatisticsConfiguration> LoadAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var rows = new List<ConfigRow>();
        rows.AddRange(await TableAsync<Agent>(http, "agent", cancellationToken));
        rows.AddRange(await TableAsync<SkillGroup>(http, "skillgroup", cancellationToken));
        rows.AddRange(await TableAsync<SkillGroupMember>(http, "skillgroupmember", cancellationToken));
        rows.AddRange(await TableAsync<CallType>(http, "calltype", cancellationToken));
        rows.AddRange(await TableAsync<Service>(http, "service", cancellationToken));
        return StatisticsConfiguration.From(rows);
    }

    private static async Task<T[]> TableAsync<T>(HttpClient http, string table, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"/api/config/{table}", cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new CommandFailedException($"GET /api/config/{table} answered {(int)response.StatusCode}{AdminApiClient.Hint(response.StatusCode)}");
        }
        return await response.Content.ReadFromJsonAsync<T[]>(Json.Options, cancellationToken) ?? [];
    }

    private static int Int(Options options, string name, int fallback) =>
        options[name] is not { } raw ? fallback
        : int.TryParse(raw, CultureInfo.InvariantCulture, out var value) && value >= 0 ? value
        : throw new UsageException($"--{name} is '{raw}': use a whole number");

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : fallback;
}
