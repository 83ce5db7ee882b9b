using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>One queue as the management API shows it: messages (ready + unacked), ready, consumers.</summary>
/// <summary>A queue as the management API shows it; <see cref="IdleSince"/> and <see cref="Expires"/> (its x-expires) where it has them.</summary>
public sealed record QueueState(string VirtualHost, string Name, long Messages, long Ready, int Consumers, DateTimeOffset? IdleSince = null, TimeSpan? Expires = null);

/// <summary>
/// The RabbitMQ management HTTP API, as `rtd status` and `rtd errors` read it: --management (default
/// http://$RTD_RABBITMQ_HOST:15672), --user and --password (defaults given by the command).
/// </summary>
public sealed class ManagementApi : IDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;

    public ManagementApi(Options options, string user, string password)
    {
        BaseAddress = new Uri((options["management"] ?? $"http://{Env("RTD_RABBITMQ_HOST", "127.0.0.1")}:15672").TrimEnd('/') + "/api/");
        User = user;
        _http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
    }

    public Uri BaseAddress { get; }

    public string User { get; }

    /// <summary>The answer, or null when the API cannot be asked or has no such object.</summary>
    public async Task<JsonElement?> GetAsync(string path)
    {
        try
        {
            return await _http.GetFromJsonAsync<JsonElement>(path, Web);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>The answer; a failure ends the command with a line that names the URL and the cause.</summary>
    public async Task<JsonElement> RequireAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using (var response = await AnswerAsync(request))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new CommandFailedException($"GET {new Uri(BaseAddress, path)} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
            return await response.Content.ReadFromJsonAsync<JsonElement>(Web);
        }
    }

    /// <summary>A PUT or DELETE (body as JSON); a failure ends the command with a line that names the URL and the answer.</summary>
    public async Task SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using (var response = await AnswerAsync(request))
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new CommandFailedException($"{method} {new Uri(BaseAddress, path)} answered {(int)response.StatusCode} {response.ReasonPhrase}: "
                    + await response.Content.ReadAsStringAsync());
            }
        }
    }

    /// <summary>The answer; no answer at all, or a refused login, ends the command with a line that names the URL and the cause or the user.</summary>
    private async Task<HttpResponseMessage> AnswerAsync(HttpRequestMessage request)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            throw new UnreachableException($"the RabbitMQ management API at {BaseAddress} does not answer ({exception.Message}); set --management");
        }
        if (response.StatusCode == HttpStatusCode.Unauthorized)
        {
            response.Dispose();
            throw new LoginRefusedException($"the RabbitMQ management API at {BaseAddress} refuses the login of user '{User}' (401); set --user and --password");
        }
        return response;
    }

    public async Task<QueueState?> QueueAsync(string vhost, string queue) =>
        await GetAsync($"queues/{Uri.EscapeDataString(vhost)}/{Uri.EscapeDataString(queue)}") is { } q ? Queue(q) : null;

    /// <summary>Every queue of a vhost, or null when the API cannot be asked.</summary>
    public async Task<IReadOnlyList<QueueState>?> QueuesAsync(string vhost) =>
        await GetAsync($"queues/{Uri.EscapeDataString(vhost)}") is { } queues ? [.. queues.EnumerateArray().Select(Queue)] : null;

    /// <summary>
    /// A queue's counters appear in the management API at its first statistics emission (every 5 s by default); until
    /// then they count as 0.
    /// </summary>
    public static QueueState Queue(JsonElement q) => new(
        q.GetProperty("vhost").GetString()!,
        q.GetProperty("name").GetString()!,
        q.TryGetProperty("messages", out var m) ? m.GetInt64() : 0,
        q.TryGetProperty("messages_ready", out var r) ? r.GetInt64() : 0,
        q.TryGetProperty("consumers", out var c) ? c.GetInt32() : 0,
        q.TryGetProperty("idle_since", out var idle) && idle.ValueKind == JsonValueKind.String
            && DateTimeOffset.TryParse(idle.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var since)
            ? since : null,
        q.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.Object
            && arguments.TryGetProperty("x-expires", out var expires) && expires.TryGetInt64(out var ms) ? TimeSpan.FromMilliseconds(ms) : null);

    public static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    public void Dispose() => _http.Dispose();
}
