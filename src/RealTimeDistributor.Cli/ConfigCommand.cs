using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RealTimeDistributor.Cli;

/// <summary>`rtd config ...`: the admin API from the shell. Prints the response body; exits non-zero on a 4xx/5xx.</summary>
public static class ConfigCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args.Where(a => a != "--json"), json: args.Contains("--json"));
        using var http = new HttpClient { BaseAddress = new Uri(options["central"] ?? "http://127.0.0.1:5080") };
        using var request = options.Positional switch
        {
            ["list", var table] => new HttpRequestMessage(HttpMethod.Get, $"/api/config/{table}"),
            ["get", var table, var id] => new HttpRequestMessage(HttpMethod.Get, $"/api/config/{table}/{id}"),
            ["put", var table, var id, var json] => new HttpRequestMessage(HttpMethod.Put, $"/api/config/{table}/{id}")
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            },
            ["delete", var table, var id] => new HttpRequestMessage(HttpMethod.Delete, $"/api/config/{table}/{id}"),
            _ => throw new UsageException("config takes list <table> | get <table> <id> | put <table> <id> <json> | delete <table> <id>"),
        };
        if (options["if-match"] is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-Match", version);
        }
        using var response = await SendAsync(http, request);
        var body = await response.Content.ReadAsStringAsync();
        (response.IsSuccessStatusCode ? Console.Out : Console.Error).WriteLine(
            response.IsSuccessStatusCode && options.Positional is ["list", _] && !options.Json ? ListText(body) : body);
        return response.IsSuccessStatusCode ? 0 : (int)response.StatusCode / 100;
    }

    /// <summary>The admin API unreachable (the center down, a wrong --central) is one line and exit code 3, as for the hosts.</summary>
    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, HttpRequestMessage request)
    {
        try
        {
            return await http.SendAsync(request);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            throw new UnreachableException($"the central controller's admin API at {http.BaseAddress} is unreachable ({exception.Message}); " +
                "is it running? (--central URL)");
        }
    }

    /// <summary>`rtd config list`: one line per row, id, version and name first, then the other fields (--json: the API's JSON).</summary>
    private static string ListText(string body)
    {
        var rows = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        var text = new StringBuilder($"{"id",-10} {"version",-20} {"name",-30} other fields\n");
        foreach (var row in rows)
        {
            string Field(string name) => row.TryGetProperty(name, out var value) ? value.ToString() : "";
            var others = row.EnumerateObject().Where(p => p.Name is not ("id" or "version" or "name")).Select(p => $"{p.Name}={p.Value}");
            text.Append(CultureInfo.InvariantCulture, $"{Field("id"),-10} {Field("version"),-20} {Field("name"),-30} {string.Join(' ', others)}\n");
        }
        return text.Append(CultureInfo.InvariantCulture, $"{rows.Count} rows").ToString();
    }
}
