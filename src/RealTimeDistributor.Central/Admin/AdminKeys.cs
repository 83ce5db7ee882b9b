using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using RealTimeDistributor.Hosting;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The admin API's roles: a reader reads the configuration and the audit; an editor also edits; an ingest key (a
/// peripheral gateway that cannot speak AMQP) only posts its own peripheral's events to POST /api/activity.
/// </summary>
internal static class AdminRoles
{
    public const string Reader = "reader";
    public const string Editor = "editor";
    public const string Ingest = "ingest";

    public const string ReadPolicy = "admin-read";
    public const string EditPolicy = "admin-edit";
    public const string IngestPolicy = "activity-ingest";

    /// <summary>The claim that carries an ingest key's peripheral.</summary>
    public const string PeripheralClaim = "rtd:peripheral";

    public static bool IsKnown(string role) => role is Reader or Editor or Ingest;
}

/// <summary>One configured key: its name (who, in the audit), the SHA-256 of the key, its role, and (ingest) its peripheral.</summary>
public sealed record AdminKey(string Name, byte[] Hash, string Role, long? Peripheral = null);

/// <summary>
/// The keys of the admin API, from configuration: <c>Admin:Keys:&lt;name&gt;:Hash</c> (hex SHA-256 of the key, as
/// <c>printf %s KEY | sha256sum</c> prints it) and <c>Admin:Keys:&lt;name&gt;:Role</c> (reader, editor or ingest; an ingest
/// key also names <c>Admin:Keys:&lt;name&gt;:Peripheral</c>, the one peripheral whose events it may post). Only hashes
/// are configured, so the center's configuration does not hold a usable key; the local demo's public key is refused
/// unless <see cref="DemoSecrets.Variable"/> is 1. Without any key the admin API refuses
/// every request (401) and the center says so at start: it fails closed.
/// </summary>
public sealed class AdminKeys(IReadOnlyList<AdminKey> keys)
{
    public const string Section = "Admin:Keys";

    public IReadOnlyList<AdminKey> Keys { get; } = keys;

    public static AdminKeys From(IConfiguration configuration)
    {
        var keys = new List<AdminKey>();
        foreach (var entry in configuration.GetSection(Section).GetChildren())
        {
            var hashKey = $"{Section}:{entry.Key}:Hash";
            var roleKey = $"{Section}:{entry.Key}:Role";
            var hex = configuration.Required(hashKey).Trim();
            byte[] hash;
            try
            {
                hash = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw new InvalidConfigurationException(hashKey, "must be the hex SHA-256 of the key (64 hex digits, `printf %s KEY | sha256sum`).");
            }
            if (hash.Length != SHA256.HashSizeInBytes)
            {
                throw new InvalidConfigurationException(hashKey, "must be the hex SHA-256 of the key (64 hex digits, `printf %s KEY | sha256sum`).");
            }
            if (CryptographicOperations.FixedTimeEquals(hash, AdminApiKey.Hash(DemoSecrets.AdminKey)) && !DemoSecrets.Allowed(configuration))
            {
                throw new InvalidConfigurationException(hashKey, $"is the hash of the local demo's public key ({DemoSecrets.AdminKey}): "
                    + $"set the hash of a key of your own, or {DemoSecrets.Variable}=1 for a local demo.");
            }
            var role = configuration.Required(roleKey).Trim().ToLowerInvariant();
            if (!AdminRoles.IsKnown(role))
            {
                throw new InvalidConfigurationException(roleKey, $"is '{role}': it must be {AdminRoles.Reader}, {AdminRoles.Editor} or {AdminRoles.Ingest}.");
            }
            keys.Add(new AdminKey(entry.Key, hash, role, PeripheralOf(configuration, $"{Section}:{entry.Key}:Peripheral", role)));
        }
        return new AdminKeys(keys);
    }

    /// <summary>An ingest key's peripheral (required, a positive number); none for the other roles (refused if set: it would mean nothing).</summary>
    private static long? PeripheralOf(IConfiguration configuration, string key, string role)
    {
        var value = configuration[key]?.Trim();
        if (role != AdminRoles.Ingest)
        {
            return string.IsNullOrEmpty(value) ? null
                : throw new InvalidConfigurationException(key, $"is set, but only a key of role {AdminRoles.Ingest} names a peripheral.");
        }
        return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) && id > 0 ? id
            : throw new InvalidConfigurationException(key, $"is '{value}': a key of role {AdminRoles.Ingest} names the one peripheral (its id, a positive number) whose events it may post.");
    }

    /// <summary>The key whose hash matches; every configured hash is compared in constant time.</summary>
    public AdminKey? Match(string presented)
    {
        var hash = AdminApiKey.Hash(presented);
        AdminKey? found = null;
        foreach (var key in Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(hash, key.Hash))
            {
                found = key;
            }
        }
        return found;
    }
}

/// <summary>
/// Authenticates a request by its <see cref="AdminApiKey.Header"/> header: the key's name becomes the user's name (the
/// audit's "who") and its role a role claim. No header: no result (401 "No API key given" where a role is required); a key the center does not know: 401 "API key
/// not accepted" (the same whether or not such a key ever existed). A
/// refusal (401, 403) is one Information line (<see cref="RefusalLog"/>, sampled under a flood).
/// </summary>
internal sealed class AdminKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminKeys keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AdminKey";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(AdminApiKey.Header, out var values) || values.ToString() is not { Length: > 0 } presented)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        if (keys.Match(presented) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, key.Name), new Claim(ClaimTypes.Role, key.Role)], SchemeName);
        if (key.Peripheral is { } peripheral)
        {
            identity.AddClaim(new Claim(AdminRoles.PeripheralClaim, peripheral.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = $"{SchemeName} header=\"{AdminApiKey.Header}\"";
        var detail = Request.Headers.ContainsKey(AdminApiKey.Header)
            ? $"API key not accepted: the {AdminApiKey.Header} header holds no key of this center."
            : $"No API key given: the admin API needs a key in the {AdminApiKey.Header} header.";
        Context.RequestServices.GetRequiredService<RefusalLog>().Refused(Context, StatusCodes.Status401Unauthorized, detail);
        return Response.WriteAsJsonAsync(new { status = 401, title = "Unauthorized", detail }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        var role = Context.User.FindFirst(ClaimTypes.Role)?.Value;
        var detail = role == AdminRoles.Reader
            ? $"The key '{Context.User.Identity?.Name}' may read but not edit (role {AdminRoles.Reader})."
            : $"The key '{Context.User.Identity?.Name}' (role {role}) may not do this: reads need {AdminRoles.Reader} or {AdminRoles.Editor}, edits {AdminRoles.Editor}, POST /api/activity {AdminRoles.Ingest}.";
        Context.RequestServices.GetRequiredService<RefusalLog>().Refused(Context, StatusCodes.Status403Forbidden, detail);
        return Response.WriteAsJsonAsync(new { status = 403, title = "Forbidden", detail }, (System.Text.Json.JsonSerializerOptions?)null, "application/problem+json");
    }
}

internal static class AdminAuthentication
{
    /// <summary>Registers the keys, the handler and the three policies (read: reader or editor; edit: editor; ingest: ingest).</summary>
    public static void AddAdminAuthentication(this WebApplicationBuilder builder)
    {
        var keys = AdminKeys.From(builder.Configuration);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton<RefusalLog>();
        builder.Services.AddAdminDocs();
        if (keys.Keys.Count == 0)
        {
            builder.Services.AddStartupTask((sp, _) =>
            {
                sp.GetRequiredService<ILogger<AdminKeys>>().LogWarning(
                    "No admin API key is configured (Admin:Keys:<name>:Hash and :Role): the admin API refuses every request with 401");
                return Task.CompletedTask;
            });
        }
        builder.Services.AddAuthentication(AdminKeyHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, AdminKeyHandler>(AdminKeyHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(AdminRoles.ReadPolicy, p => p.RequireRole(AdminRoles.Reader, AdminRoles.Editor))
            .AddPolicy(AdminRoles.EditPolicy, p => p.RequireRole(AdminRoles.Editor))
            .AddPolicy(AdminRoles.IngestPolicy, p => p.RequireRole(AdminRoles.Ingest).RequireClaim(AdminRoles.PeripheralClaim));
    }
}
