using System.Security.Cryptography;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd workstation add|remove|list`: a workstation's own broker credential, user rtd-{site}-ws-{workstation} with the
/// per-workstation lines of infra/rabbitmq/roles.conf (embedded: the same regexes as infra/rabbitmq/workstation.sh),
/// through the management HTTP API with the admin user (RTD_RABBITMQ_ADMIN_USER / _PASSWORD, or --user / --password),
/// for brokers where rabbitmqctl is not at hand.
/// </summary>
public static class WorkstationCommand
{
    /// <summary>Positional: the verb (add, remove, list), then SITE and WS.</summary>
    public static async Task<int> RunAsync(Options options, TextWriter output)
    {
        using var api = new ManagementApi(options, options["user"] ?? ManagementApi.Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin"),
            options["password"] ?? ManagementApi.Env("RTD_RABBITMQ_ADMIN_PASSWORD", "local-demo-admin"));
        switch (options.Positional.FirstOrDefault())
        {
            case "add":
                var (site, workstation) = SiteAndWorkstation(options);
                var generated = options["workstation-password"] is null;
                if (!generated && !DemoSecrets.Allowed())
                {
                    throw new UsageException("--workstation-password: a workstation's password is its own; leave the option out and rtd "
                        + $"generates one (printed once). A chosen password is taken only for a local demo ({DemoSecrets.Variable}=1).");
                }
                var password = options["workstation-password"] ?? RandomNumberGenerator.GetHexString(48, lowercase: true);
                await SweepAsync(api);
                await AddAsync(api, site, workstation, password);
                output.WriteLine(generated ? password : $"{BrokerUsers.Workstation(site, workstation)} issued");
                return 0;
            case "remove":
                (site, workstation) = SiteAndWorkstation(options);
                await SweepAsync(api);
                var user = BrokerUsers.Workstation(site, workstation);
                await RemoveAsync(api, user);
                output.WriteLine($"{user} removed");
                return 0;
            case "list":
                await SweepAsync(api);
                var prefix = options.Positional.ElementAtOrDefault(1) is { } onlySite ? $"rtd-{onlySite}-ws-" : null;
                foreach (var name in (await api.RequireAsync("users")).EnumerateArray().Select(u => u.GetProperty("name").GetString()!)
                    .Where(n => prefix is null ? n.StartsWith("rtd-", StringComparison.Ordinal) && n.Contains("-ws-", StringComparison.Ordinal)
                        : n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                {
                    output.WriteLine(name);
                }
                return 0;
            default:
                throw new UsageException("rtd workstation needs a verb: add SITE WS, remove SITE WS or list [SITE]");
        }
    }

    /// <summary>Creates or resets the user and gives it the per-workstation permission lines of roles.conf.</summary>
    public static async Task AddAsync(ManagementApi api, string site, string workstation, string password)
    {
        using var stream = typeof(WorkstationCommand).Assembly.GetManifestResourceStream("roles.conf")!;
        using var reader = new StreamReader(stream);
        var lines = (await reader.ReadToEndAsync()).Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Select(f => f.Select(x => x.Replace("{site}", site, StringComparison.Ordinal).Replace("{workstation}", workstation, StringComparison.Ordinal)).ToArray())
            .ToList();
        var roles = lines.Where(f => f[0] == "user" && f[2] == BrokerUsers.Workstation(site, workstation)).ToList();
        if (roles is not [var role])
        {
            throw new CommandFailedException("roles.conf has no user line named rtd-{site}-ws-{workstation}");
        }
        var user = Uri.EscapeDataString(role[2]);
        await api.SendAsync(HttpMethod.Put, $"users/{user}", new { password, tags = role[3] == "-" ? "" : role[3] });
        foreach (var f in lines.Where(f => f[1] == role[1] && f[0] != "user"))
        {
            await (f[0] switch
            {
                "perm" => api.SendAsync(HttpMethod.Put, $"permissions/{Uri.EscapeDataString(f[2])}/{user}", new { configure = f[3], write = f[4], read = f[5] }),
                "topic" => api.SendAsync(HttpMethod.Put, $"topic-permissions/{Uri.EscapeDataString(f[2])}/{user}", new { exchange = f[3], write = f[4], read = f[5] }),
                _ => throw new CommandFailedException($"roles.conf: unknown line kind '{f[0]}'"),
            });
        }
    }

    /// <summary>Deletes the user, then closes its connections (a deleted user's open connections would keep working until closed).</summary>
    public static async Task RemoveAsync(ManagementApi api, string user)
    {
        await api.SendAsync(HttpMethod.Delete, $"users/{Uri.EscapeDataString(user)}");
        foreach (var connection in (await api.RequireAsync("connections")).EnumerateArray()
            .Where(c => c.GetProperty("user").GetString() == user).Select(c => c.GetProperty("name").GetString()!))
        {
            await api.SendAsync(HttpMethod.Delete, $"connections/{Uri.EscapeDataString(connection)}");
        }
    }

    /// <summary>Temporary users (rtd client without --workstation) that a killed session left: <see cref="TemporaryWorkstation.SweepAsync"/>.</summary>
    private static Task SweepAsync(ManagementApi api) => TemporaryWorkstation.SweepAsync(api, DateTimeOffset.UtcNow, Console.Error);

    private static (string Site, string Workstation) SiteAndWorkstation(Options options) =>
        options.Positional is [_, var site, var workstation]
            ? Identifiers.IsValid(site) && Identifiers.IsValid(workstation) ? (site, workstation)
                : throw new UsageException($"rtd workstation: '{site}' / '{workstation}': ids are {Identifiers.Rule}")
            : throw new UsageException("rtd workstation add|remove needs SITE and WS");
}
