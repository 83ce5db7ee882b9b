using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab.Wan;

/// <summary>
/// `rtd-lab wan`: a named WAN link (a <see cref="FaultProxy"/> in its own process) that an operator, the demo or a test
/// cuts and restores. `rtd-lab wan proxy NAME` runs the link and writes where its control endpoint listens to
/// <c>$RTD_WAN_DIR/NAME.json</c> (default /tmp/rtd-wan); the other verbs find it there.
/// </summary>
internal static class WanCommand
{
    private static string Directory => Environment.GetEnvironmentVariable("RTD_WAN_DIR") is { Length: > 0 } dir ? dir : "/tmp/rtd-wan";

    public static async Task<int> RunAsync(Options options, TextWriter output)
    {
        return options.Positional switch
        {
            ["proxy", var name] => await ProxyAsync(name, options, output),
            ["cut", var name] => await ControlAsync(name, $"cut?mode={Mode(options["mode"])}", output),
            ["restore", var name] => await ControlAsync(name, "restore", output),
            ["flap", var name] => await ControlAsync(name, "flap", output),
            ["latency", var name, var ms] when int.TryParse(ms, out var m) && m >= 0 => await ControlAsync(name, $"latency?ms={m}", output),
            ["flaky", var name, "off"] => await ControlAsync(name, "flaky?seconds=0", output),
            ["flaky", var name, var s] when int.TryParse(s, out var seconds) && seconds > 0 => await ControlAsync(name, $"flaky?seconds={seconds}", output),
            ["status", var name] => await ControlAsync(name, "status", output),
            _ => throw new UsageException("wan: proxy NAME --listen HOST:PORT --to HOST:PORT | cut NAME [--mode reset|blackhole] | restore NAME | flap NAME | latency NAME MS | flaky NAME SECONDS|off | status NAME"),
        };
    }

    private static string Mode(string? mode) => mode switch
    {
        null or "reset" => "reset",
        "blackhole" => "blackhole",
        _ => throw new UsageException($"wan cut: --mode is reset or blackhole, not '{mode}'"),
    };

    private static async Task<int> ProxyAsync(string name, Options options, TextWriter output)
    {
        var listen = Endpoint(options["listen"] ?? throw new UsageException("wan proxy: --listen HOST:PORT is required"), "--listen");
        var to = options["to"] ?? throw new UsageException("wan proxy: --to HOST:PORT is required");
        var target = Endpoint(to, "--to");
        await using var proxy = new FaultProxy(listen, to[..to.LastIndexOf(':')], target.Port);
        proxy.Start();

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var control = builder.Build();
        MapControl(control, proxy, name);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
        {
            c.Cancel = true;
            stop.Cancel();
        });
        await control.StartAsync(stop.Token);
        var url = control.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        System.IO.Directory.CreateDirectory(Directory);
        var file = Path.Combine(Directory, $"{name}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new Registration(name, url, proxy.Port, proxy.Target, Environment.ProcessId)));
        await output.WriteLineAsync($"wan {name}: 127.0.0.1:{proxy.Port} -> {proxy.Target}, control {url} (rtd-lab wan cut|restore|status {name})");
        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        File.Delete(file);
        await control.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>The control endpoint: POST cut / restore / flap / latency / flaky, GET status; each answers the status.</summary>
    private static void MapControl(WebApplication control, FaultProxy proxy, string name)
    {
        IResult Done(string what)
        {
            Console.Out.WriteLine($"wan {name}: {what}");
            return Results.Json(proxy.Status);
        }
        control.MapPost("/cut", (string? mode) =>
        {
            proxy.Cut(mode == "blackhole" ? CutMode.Blackhole : CutMode.Reset);
            return Done($"cut ({proxy.CurrentCut})");
        });
        control.MapPost("/restore", () =>
        {
            proxy.Restore();
            return Done("restored");
        });
        control.MapPost("/flap", () =>
        {
            proxy.ResetAll();
            return Done("every connection reset once");
        });
        control.MapPost("/latency", (int ms) =>
        {
            proxy.Latency = TimeSpan.FromMilliseconds(ms);
            return Done($"latency {ms} ms");
        });
        control.MapPost("/flaky", (int seconds) =>
        {
            proxy.ResetAfter = seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
            return Done(seconds > 0 ? $"each connection reset after {seconds}-{2 * seconds} s" : "not flaky");
        });
        control.MapGet("/status", () => Results.Json(proxy.Status));
    }

    private static async Task<int> ControlAsync(string name, string action, TextWriter output)
    {
        var file = Path.Combine(Directory, $"{name}.json");
        if (!File.Exists(file))
        {
            throw new CommandFailedException($"wan {name}: no such link ({file} is missing: is `rtd-lab wan proxy {name}` running?)");
        }
        var registration = JsonSerializer.Deserialize<Registration>(await File.ReadAllTextAsync(file))!;
        using var http = new HttpClient { BaseAddress = new Uri(registration.Control), Timeout = TimeSpan.FromSeconds(5) };
        HttpResponseMessage response;
        try
        {
            response = action == "status" ? await http.GetAsync("status") : await http.PostAsync(action, null);
        }
        catch (HttpRequestException e)
        {
            throw new UnreachableException($"wan {name}: its control endpoint {registration.Control} does not answer ({e.Message})");
        }
        response.EnsureSuccessStatusCode();
        var status = await response.Content.ReadFromJsonAsync<FaultProxyStatus>();
        await output.WriteLineAsync($"wan {name}: {status!.State}, 127.0.0.1:{status.Port} -> {status.Target}, latency {status.LatencyMs} ms, " +
            $"flaky {(status.ResetAfterSeconds is { } s ? $"{s} s" : "off")}, {status.Open} open, {status.Connections} connections, " +
            $"{status.Bytes} bytes, {status.Resets} resets");
        return 0;
    }

    private static IPEndPoint Endpoint(string value, string option)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 0 or > 65535)
        {
            throw new UsageException($"wan proxy: {option} is HOST:PORT, not '{value}'");
        }
        var host = value[..colon];
        var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
        return new IPEndPoint(address, port);
    }

    private sealed record Registration(string Name, string Control, int Port, string Target, int Pid);
}
