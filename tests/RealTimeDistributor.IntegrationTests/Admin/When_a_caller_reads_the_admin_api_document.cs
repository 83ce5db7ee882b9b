using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.IntegrationTests.Support;

namespace RealTimeDistributor.IntegrationTests.Admin;

/// <summary>
/// The admin API documents itself: a running center serves its OpenAPI document and a reference page, and the document
/// holds every route the center maps (read from its EndpointDataSource, so a new route without declared answers fails
/// here), each with the status codes it declares, the key scheme on every route that needs a key, and the status a
/// caller without a key really gets.
/// </summary>
public sealed partial class When_a_caller_reads_the_admin_api_document : SystemTest
{
    /// <summary>Routes that are not the admin API: health, metrics, and the document and its page themselves.</summary>
    private static readonly string[] NotDocumented = ["/health", "/metrics", "/openapi/", "/docs", "/"];

    [Fact]
    public async Task Should_list_every_mapped_route_with_its_status_codes_and_the_key_scheme()
    {
        using var anonymous = Rtd.NewCentralApi(null);
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = anonymous.BaseAddress };
        var root = await noRedirect.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/docs", root.Headers.Location?.OriginalString);
        var page = await anonymous.GetAsync("/docs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.True(html.Contains("openapi/v1.json", StringComparison.Ordinal) && html.Contains("scalar.js", StringComparison.Ordinal), html);
        // the page's script is served by the center itself (no CDN)
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(new Uri(page.RequestMessage!.RequestUri!, "scalar.js"))).StatusCode);

        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        Assert.Equal("header", scheme.GetProperty("in").GetString());
        Assert.Equal("X-Api-Key", scheme.GetProperty("name").GetString());
        var paths = document.GetProperty("paths");
        // rows are typed per table (issue 26): the row schema lists each table's fields, the {table} the table names
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var rowSchema = schemas.GetProperty("ConfigRow");
        var tables = RealTimeDistributor.Data.Configuration.ConfigTables.All;
        var rows = rowSchema.GetProperty("anyOf").EnumerateArray()
            .Select(r => r.TryGetProperty("$ref", out var reference) ? schemas.GetProperty(reference.GetString()!.Split('/')[^1]) : r).ToList();
        Assert.True(rows.Count == tables.Count, rowSchema.GetRawText());
        // a field of its own of each table: calltype, skillgroupmember, routingscript, peripheral
        foreach (var field in new[] { "serviceLevelSeconds", "skillGroupId", "body", "timeZone" })
        {
            Assert.True(rows.Any(r => r.TryGetProperty("properties", out var properties) && properties.TryGetProperty(field, out _)),
                $"no row schema has {field}: {rowSchema.GetRawText()}");
        }
        var tableParameter = paths.GetProperty("/api/config/{table}").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Single(p => p.GetProperty("name").GetString() == "table");
        Assert.Equal(tables.Select(t => t.Name), tableParameter.GetProperty("schema").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));

        var routes = Rtd.Central.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IHttpMethodMetadata>() is not null)
            .Where(e => !NotDocumented.Any(p => p == "/" ? e.RoutePattern.RawText == "/" : e.RoutePattern.RawText!.StartsWith(p, StringComparison.Ordinal)))
            .ToList();
        Assert.Contains(routes, r => r.RoutePattern.RawText == "/api/config/{table}/{id:long}");
        foreach (var route in routes)
        {
            var path = Constraint().Replace(route.RoutePattern.RawText!, "{$1}");
            var declared = route.Metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>().Select(m => m.StatusCode).Distinct().Order().ToList();
            var protectedByKey = route.Metadata.GetMetadata<IAuthorizeData>() is not null;
            foreach (var method in route.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods)
            {
                var name = $"{method} {path}";
                Assert.True(declared.Count > 0, $"{name} declares no status codes (Answers/Produces/ProducesProblem)");
                Assert.True(paths.TryGetProperty(path, out var item), $"{name} is not in the document");
                Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{name} is not in the document");
                var documented = operation.GetProperty("responses").EnumerateObject().Select(r => int.Parse(r.Name)).Order().ToList();
                Assert.True(declared.SequenceEqual(documented), $"{name}: declares {string.Join(",", declared)}, the document has {string.Join(",", documented)}");
                Assert.True(operation.TryGetProperty("summary", out _), $"{name} has no summary");
                if (protectedByKey)
                {
                    Assert.Contains(401, documented);
                    Assert.Contains(403, documented);
                    Assert.True(operation.TryGetProperty("security", out var security)
                        && security.EnumerateArray().Any(s => s.TryGetProperty("ApiKey", out _)), $"{name} needs a key but the document does not say so");
                }

                // what a caller without a key gets is one of the documented answers
                using var request = new HttpRequestMessage(new HttpMethod(method), Placeholder().Replace(path, m => m.Value == "{table}" ? "peripheral" : "1"));
                var status = (int)(await anonymous.SendAsync(request)).StatusCode;
                Assert.True(documented.Contains(status), $"{name} without a key answered {status}, which the document does not list");
                Assert.Equal(protectedByKey, status == 401);
            }
        }
    }

    [GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    private static partial Regex Constraint();

    [GeneratedRegex(@"\{\w+\}")]
    private static partial Regex Placeholder();
}
