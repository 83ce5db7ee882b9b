using System.Text;

namespace RealTimeDistributor.Cli;

/// <summary>`rtd config ...`: the admin API from the shell. Prints the response body; exits non-zero on a 4xx/5xx.</summary>
public static class ConfigCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
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
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        (response.IsSuccessStatusCode ? Console.Out : Console.Error).WriteLine(body);
        return response.IsSuccessStatusCode ? 0 : (int)response.StatusCode / 100;
    }
}
