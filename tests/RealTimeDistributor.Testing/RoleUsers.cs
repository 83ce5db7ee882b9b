using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;

namespace RealTimeDistributor.Testing;

/// <summary>One line of infra/rabbitmq/roles.conf: "user", "perm" or "topic", the role, and the rest of its fields.</summary>
public sealed record RoleLine(string Kind, string Role, string[] Fields);

/// <summary>A role's broker credentials for one test, and the host settings that use them.</summary>
public sealed record RoleCredentials(string User, string Password)
{
    public Dictionary<string, string?> Settings() => new() { ["RabbitMq:Username"] = User, ["RabbitMq:Password"] = Password };
}

/// <summary>
/// The per-role broker users of infra/rabbitmq/roles.conf, declared for a test's own vhosts with exactly the regexes
/// infra/rabbitmq/apply-roles.sh gives the real ones (same file, same expansion), under user names prefixed with the
/// test's id, with random passwords. Disposing deletes the users.
/// </summary>
public sealed class RoleUsers : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly Dictionary<(string Role, string Site, string Workstation), RoleCredentials> _users = [];

    private RoleUsers()
    {
        _http = new HttpClient { BaseAddress = new Uri($"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/api/") };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{TestSettings.RabbitAdminUser}:{TestSettings.RabbitAdminPassword}")));
    }

    public static IReadOnlyList<RoleLine> Lines()
    {
        var path = Repository.PathOf("infra/rabbitmq/roles.conf");
        return [.. File.ReadLines(path)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Select(f => new RoleLine(f[0], f[1], f[2..]))];
    }

    /// <summary>
    /// Declares every role's user(s) for the central vhost and the sites (whose vhosts must exist), a credential for
    /// each of the workstations (site, workstation), as infra/rabbitmq/workstation.sh add issues it, and one for each
    /// peripheral's gateway (default peripherals 1 and 2; its id takes the place of the site: For("gateway", "1")).
    /// </summary>
    public static async Task<RoleUsers> CreateAsync(string centralVirtualHost, IReadOnlyList<string> sites, string userPrefix,
        IReadOnlyList<(string Site, string Workstation)>? workstations = null, IReadOnlyList<string>? peripherals = null)
    {
        var users = new RoleUsers();
        var lines = Lines();
        bool UserNames(string role, string placeholder) =>
            lines.Any(l => l.Kind == "user" && l.Role == role && l.Fields[0].Contains(placeholder, StringComparison.Ordinal));
        bool Names(RoleLine line, string placeholder) =>
            UserNames(line.Role, placeholder) || line.Fields.Any(f => f.Contains(placeholder, StringComparison.Ordinal));
        foreach (var line in lines)
        {
            IEnumerable<(string Site, string Workstation)> applies =
                UserNames(line.Role, "{workstation}") ? workstations ?? []
                : Names(line, "{peripheral}") ? (peripherals ?? ["1", "2"]).Select(p => (p, ""))
                : Names(line, "{site}") ? sites.Select(s => (s, ""))
                : [("", "")];
            foreach (var (site, workstation) in applies)
            {
                var f = line.Fields.Select(x => x.Replace("{central}", centralVirtualHost, StringComparison.Ordinal)
                    .Replace("{site}", site, StringComparison.Ordinal).Replace("{peripheral}", site, StringComparison.Ordinal)
                    .Replace("{workstation}", workstation, StringComparison.Ordinal)).ToArray();
                switch (line.Kind)
                {
                    case "user":
                        var credentials = new RoleCredentials(userPrefix + f[0], Guid.NewGuid().ToString("N"));
                        users._users[(line.Role, site, workstation)] = credentials;
                        await users.PutAsync($"users/{Uri.EscapeDataString(credentials.User)}",
                            new { password = credentials.Password, tags = f[1] == "-" ? "" : f[1] });
                        break;
                    case "perm":
                        await users.PutAsync($"permissions/{Uri.EscapeDataString(f[0])}/{Uri.EscapeDataString(users.For(line.Role, site, workstation).User)}",
                            new { configure = f[1], write = f[2], read = f[3] });
                        break;
                    case "topic":
                        await users.PutAsync($"topic-permissions/{Uri.EscapeDataString(f[0])}/{Uri.EscapeDataString(users.For(line.Role, site, workstation).User)}",
                            new { exchange = f[1], write = f[2], read = f[3] });
                        break;
                    default:
                        throw new InvalidOperationException($"roles.conf: unknown line kind '{line.Kind}'");
                }
            }
        }
        return users;
    }

    /// <summary>The credentials of a role: a workstation's or a site's own user for per-workstation or per-site roles, else the role's one user.</summary>
    public RoleCredentials For(string role, string site = "", string workstation = "") =>
        _users.TryGetValue((role, site, workstation), out var user) ? user
        : _users.TryGetValue((role, "", ""), out var shared) ? shared
        : throw new KeyNotFoundException($"roles.conf declares no user for role {role} {site} {workstation}");

    private async Task PutAsync(string path, object body) => (await _http.PutAsJsonAsync(path, body)).EnsureSuccessStatusCode();

    public async ValueTask DisposeAsync()
    {
        foreach (var user in _users.Values)
        {
            await _http.DeleteAsync($"users/{Uri.EscapeDataString(user.User)}");
        }
        _http.Dispose();
    }
}
