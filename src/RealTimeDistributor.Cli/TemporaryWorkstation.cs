using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd client` without --workstation: a workstation user issued for this session only, through the management API as
/// the broker's admin user (RTD_RABBITMQ_ADMIN_USER / _PASSWORD, as `rtd workstation add`): rtd-{site}-ws-cli-{issued}-{random},
/// where {issued} is the issue time (unix seconds, hex), with the per-workstation rights of roles.conf and a random password
/// that is never printed. Disposing deletes the user and closes its connections (the client's queues are exclusive and
/// auto-delete: they go with the connection). A process killed before that (kill -9) leaves the user:
/// <see cref="SweepAsync"/>, run by the next `rtd client` without --workstation and by `rtd workstation`, deletes every
/// temporary user without a connection issued more than <see cref="StaleAfter"/> ago.
/// </summary>
internal sealed partial class TemporaryWorkstation : IAsyncDisposable
{
    /// <summary>A temporary user without a connection this long after its issue is left over by a killed session.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private readonly ManagementApi _api;

    private TemporaryWorkstation(ManagementApi api, string site, string workstation, string password)
    {
        _api = api;
        Workstation = workstation;
        User = BrokerUsers.Workstation(site, workstation);
        Password = password;
    }

    public string Workstation { get; }

    public string User { get; }

    public string Password { get; }

    /// <summary>Sweeps the stale temporary users, then issues this session's.</summary>
    public static async Task<TemporaryWorkstation> IssueAsync(Options options, string site)
    {
        var admin = ManagementApi.Env("RTD_RABBITMQ_ADMIN_USER", "rtd-admin");
        var adminPassword = ManagementApi.Env("RTD_RABBITMQ_ADMIN_PASSWORD", "");
        if (adminPassword.Length == 0)
        {
            throw new UsageException($"without --workstation, rtd client issues itself a temporary workstation user as the broker's admin user {admin}: "
                + "set RTD_RABBITMQ_ADMIN_PASSWORD (and RTD_RABBITMQ_ADMIN_USER; `source infra/env.sh` sets the local demo's), or give --workstation WS");
        }
        var api = new ManagementApi(options, admin, adminPassword);
        try
        {
            var now = DateTimeOffset.UtcNow;
            await SweepAsync(api, now, Console.Error);
            var workstation = string.Create(CultureInfo.InvariantCulture, $"cli-{now.ToUnixTimeSeconds():x8}-{RandomNumberGenerator.GetHexString(6, lowercase: true)}");
            var password = RandomNumberGenerator.GetHexString(48, lowercase: true);
            await WorkstationCommand.AddAsync(api, site, workstation, password);
            return new TemporaryWorkstation(api, site, workstation, password);
        }
        catch (LoginRefusedException)
        {
            api.Dispose();
            throw new LoginRefusedException($"the RabbitMQ management API at {api.BaseAddress} refuses the login of the admin user '{admin}' "
                + "(a temporary workstation user is issued with it): check RTD_RABBITMQ_ADMIN_USER / RTD_RABBITMQ_ADMIN_PASSWORD, or give --workstation WS");
        }
        catch
        {
            api.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Deletes every temporary user (rtd-*-ws-cli-{issued}-*) that has no connection and was issued more than
    /// <see cref="StaleAfter"/> before <paramref name="now"/>, saying so on <paramref name="report"/>; the users deleted.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SweepAsync(ManagementApi api, DateTimeOffset now, TextWriter report)
    {
        var connected = (await api.RequireAsync("connections")).EnumerateArray()
            .Select(c => c.TryGetProperty("user", out var u) ? u.GetString() : null).ToHashSet(StringComparer.Ordinal);
        var stale = (await api.RequireAsync("users")).EnumerateArray().Select(u => u.GetProperty("name").GetString()!)
            .Select(name => (name, match: TemporaryUser().Match(name)))
            .Where(u => u.match.Success && !connected.Contains(u.name)
                && now - DateTimeOffset.FromUnixTimeSeconds(long.Parse(u.match.Groups["issued"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)) > StaleAfter)
            .Select(u => u.name).ToList();
        foreach (var user in stale)
        {
            try
            {
                await api.SendAsync(HttpMethod.Delete, $"users/{Uri.EscapeDataString(user)}");
                await report.WriteLineAsync($"rtd: deleted the temporary workstation user {user}, left without a connection by a session that ended without cleaning up");
            }
            catch (CommandFailedException)
            {
                // another sweep deleted it first
            }
        }
        return stale;
    }

    /// <summary>Deletes the user and closes its connections; a failure is one line on stderr (the next sweep deletes it).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await WorkstationCommand.RemoveAsync(_api, User);
        }
        catch (Exception exception) when (exception is CommandFailedException or UnreachableException or LoginRefusedException)
        {
            await Console.Error.WriteLineAsync($"rtd client: the temporary workstation user {User} is left ({exception.Message}); "
                + $"the next `rtd client` or `rtd workstation` deletes it {StaleAfter.TotalMinutes:0} min after its issue");
        }
        finally
        {
            _api.Dispose();
        }
    }

    [GeneratedRegex("^rtd-[a-z0-9-]+-ws-cli-(?<issued>[0-9a-f]{8})-[0-9a-f]{6}$")]
    private static partial Regex TemporaryUser();
}
