using System.Globalization;
using System.Text;
using System.Text.Json;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Cli;

/// <summary>
/// `rtd config ...`: the admin API from the shell, with the key in RTD_ADMIN_KEY. Prints the response body; an error
/// answer is one line (exit code 4 for a refused key, 1 otherwise). put/delete of an existing row take --if-match VERSION (the version read) or --force.
/// </summary>
public static class ConfigCommand
{
    /// <summary>A row's version, as the admin API names it (what If-Match takes).</summary>
    private const string VersionField = "configSequence";

    public static async Task<int> RunAsync(Options options)
    {
        var force = options.Flag("force") ? "?force=true" : "";
        using var http = AdminApiClient.Create(new Uri(options["central"] ?? "http://127.0.0.1:5080"), TimeSpan.FromMinutes(5));
        try
        {
            switch (options.Positional)
            {
                case ["import", var file]:
                    return await ImportAsync(http, file, options.Flag("dry-run"), options, Console.Out);
                case ["export"]:
                    return await ExportAsync(http, options, Console.Out);
            }
        }
        catch (HttpRequestException exception)
        {
            throw Unreachable(http, exception);
        }
        using var request = options.Positional switch
        {
            ["list", var table] => new HttpRequestMessage(HttpMethod.Get, $"/api/config/{table}"),
            ["get", var table, var id] => new HttpRequestMessage(HttpMethod.Get, $"/api/config/{table}/{id}"),
            ["add", var table, var json] => new HttpRequestMessage(HttpMethod.Post, $"/api/config/{table}")
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            },
            ["put", var table, var id, var json] => new HttpRequestMessage(HttpMethod.Put, $"/api/config/{table}/{id}{force}")
            {
                Content = new StringContent(json, Encoding.UTF8, "application/json"),
            },
            ["delete", var table, var id] => new HttpRequestMessage(HttpMethod.Delete, $"/api/config/{table}/{id}{force}"),
            _ => throw new UsageException(
                "config takes list <table> | get <table> <id> | add <table> <json> | put <table> <id> <json> [--if-match V|--force] | delete <table> <id> [--if-match V|--force] | import FILE | export"),
        };
        if (options.Positional.ElementAtOrDefault(1) is { } name && !RealTimeDistributor.Data.Configuration.ConfigTables.TryGet(name, out _))
        {
            throw new UsageException($"no table '{name}': the tables are {string.Join(", ", RealTimeDistributor.Data.Configuration.ConfigTables.All.Select(t => t.Name))}");
        }
        if (options["if-match"] is { } version)
        {
            request.Headers.TryAddWithoutValidation("If-Match", version);
        }
        using var response = await SendAsync(http, request);
        var body = await response.Content.ReadAsStringAsync();
        var what = $"{request.Method} {request.RequestUri}";
        switch ((int)response.StatusCode)
        {
            case < 400:
                Console.WriteLine(options.Positional is ["list", _] && !options.Json ? ListText(body) : body);
                return 0;
            case 401 or 403:
                throw new LoginRefusedException(
                    $"the admin API at {http.BaseAddress} refuses {what} ({(int)response.StatusCode}: {Problem(body)}){AdminApiClient.Hint(response.StatusCode)}");
            default:
                throw new CommandFailedException($"{what} answered {(int)response.StatusCode}: {Problem(body)}");
        }
    }

    /// <summary>An error answer of the admin API (problem JSON: title, detail, errors per field) as one line.</summary>
    private static string Problem(string body)
    {
        try
        {
            var problem = JsonDocument.Parse(body).RootElement;
            string? Text(string name) => problem.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            var fields = problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object
                ? errors.EnumerateObject().Select(f => $"{f.Name}: {string.Join(" ", f.Value.ValueKind == JsonValueKind.Array ? f.Value.EnumerateArray().Select(e => e.ToString()) : [f.Value.ToString()])}")
                : [];
            return string.Join("; ", new[] { Text("title"), Text("detail") }.OfType<string>().Concat(fields).Distinct());
        }
        catch (JsonException)
        {
            return body.ReplaceLineEndings(" ").Trim();
        }
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
            throw Unreachable(http, exception);
        }
    }

    private static UnreachableException Unreachable(HttpClient http, Exception exception) =>
        new($"the central controller's admin API at {http.BaseAddress} is unreachable ({exception.Message}); is it running? (--central URL)");

    /// <summary>`rtd config list`: one line per row, id, version (the row's configSequence) and name first, then the other fields (--json: the API's JSON).</summary>
    private static string ListText(string body)
    {
        var rows = JsonDocument.Parse(body).RootElement.EnumerateArray().ToList();
        var text = new StringBuilder($"{"id",-10} {"version",-20} {"name",-30} other fields\n");
        foreach (var row in rows)
        {
            string Field(string name) => row.TryGetProperty(name, out var value) ? value.ToString() : "";
            var others = row.EnumerateObject().Where(p => p.Name is not ("id" or VersionField or "name")).Select(p => $"{p.Name}={p.Value}");
            text.Append(CultureInfo.InvariantCulture, $"{Field("id"),-10} {Field(VersionField),-20} {Field("name"),-30} {string.Join(' ', others)}\n");
        }
        return text.Append(CultureInfo.InvariantCulture, $"{rows.Count} rows").ToString();
    }

    /// <summary>`rtd config import FILE|DIR [--dry-run] [--batch-size N]`: see <see cref="ConfigImport"/>.</summary>
    public static async Task<int> ImportAsync(HttpClient http, string path, bool dryRun, Options options, TextWriter output)
    {
        var batchSize = options["batch-size"] is { } size
            ? int.TryParse(size, out var n) && n is > 0 and <= 10_000 ? n : throw new UsageException("--batch-size is a whole number from 1 to 10000")
            : ConfigImport.DefaultBatchSize;
        var rows = ConfigFiles.Read(path);
        var plan = await ConfigImport.PlanAsync(http, rows, CancellationToken.None);
        ConfigImport.PrintPlan(plan, output);
        var changes = ConfigImport.Ordered(plan);
        if (dryRun)
        {
            output.WriteLine($"dry run: {changes.Count:N0} changes would be sent; nothing written");
            return 0;
        }
        var committed = await ConfigImport.ApplyAsync(http, changes, batchSize, output, CancellationToken.None);
        output.WriteLine($"imported: {committed:N0} changes committed");
        return 0;
    }

    /// <summary>`rtd config export [--table T,U] [--format csv|json] [--out FILE|DIR]`.</summary>
    public static async Task<int> ExportAsync(HttpClient http, Options options, TextWriter output)
    {
        var tables = options["table"] is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : [.. RealTimeDistributor.Data.Configuration.ConfigTables.All.Select(t => t.Name)];
        var unknown = tables.Where(t => !RealTimeDistributor.Data.Configuration.ConfigTables.TryGet(t, out _)).ToList();
        if (unknown.Count > 0)
        {
            throw new UsageException($"--table {string.Join(",", unknown)}: not a table");
        }
        var outPath = options["out"];
        var format = options["format"] ?? (outPath is not null && (outPath.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || Directory.Exists(outPath)) ? "csv" : "json");
        var data = new List<(string Table, List<System.Text.Json.JsonElement> Rows)>();
        foreach (var table in tables)
        {
            data.Add((table, await ConfigImport.ExportTableAsync(http, table, CancellationToken.None)));
        }
        switch (format)
        {
            case "json" when outPath is null:
                await output.WriteAsync(ConfigFiles.ToJson(data));
                break;
            case "json":
                await File.WriteAllTextAsync(outPath, ConfigFiles.ToJson(data));
                break;
            case "csv" when data.Count == 1 && (outPath is null || !Directory.Exists(outPath)):
                if (outPath is null)
                {
                    await output.WriteAsync(ConfigFiles.ToCsv(data[0].Table, data[0].Rows));
                }
                else
                {
                    await File.WriteAllTextAsync(outPath, ConfigFiles.ToCsv(data[0].Table, data[0].Rows));
                }
                break;
            case "csv" when outPath is not null:
                Directory.CreateDirectory(outPath);
                foreach (var (table, rows) in data)
                {
                    await File.WriteAllTextAsync(Path.Combine(outPath, $"{table}.csv"), ConfigFiles.ToCsv(table, rows));
                }
                break;
            case "csv":
                throw new UsageException("CSV of several tables is one file per table: give --out DIR");
            default:
                throw new UsageException($"--format is csv or json, not '{format}'");
        }
        if (outPath is not null)
        {
            output.WriteLine($"exported {string.Join(", ", data.Select(d => $"{d.Rows.Count:N0} {d.Table}"))} to {outPath}");
        }
        return 0;
    }
}
