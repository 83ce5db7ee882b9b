using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using RealTimeDistributor.Data.Configuration;
using RealTimeDistributor.Hosting;
using Scalar.AspNetCore;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The admin API documents itself: an OpenAPI document generated from the mapped endpoints at
/// <see cref="DocumentPath"/>, a reference page (Scalar, served from the center, no CDN) at <see cref="PagePath"/>, and
/// <c>/</c> redirecting there. Both are open (they hold no data). The key header is the document's one security scheme;
/// every route that needs a key carries it, with the roles it needs. Each route declares its status codes
/// (<see cref="Answers"/>), so the document lists every answer a caller can get.
/// </summary>
internal static class AdminDocs
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string PagePath = "/docs";
    public const string SecurityScheme = "ApiKey";

    private const string ProblemType = "application/problem+json";

    public static void AddAdminDocs(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "RealTimeDistributor admin API";
            document.Info.Description =
                $"The central controller's configuration of record and its audit. Send the key in the {AdminApiKey.Header} header: " +
                $"reads need role {AdminRoles.Reader} or {AdminRoles.Editor}, edits {AdminRoles.Editor}, POST /api/activity {AdminRoles.Ingest}. " +
                "Without a key: 401 \"no API key given\"; with a key the center does not know: 401 \"API key not accepted\". " +
                "An edit of an existing row names the version it read in If-Match (428 without, unless ?force=true).";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecurityScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = AdminApiKey.Header,
                Description = "An admin key (configured as Admin:Keys:<name>:Hash and :Role on the center).",
            };
            return Task.CompletedTask;
        });
        // a row of /api/config/{table} is typed per table: the base row's schema says which fields each table's row has
        options.AddSchemaTransformer(async (schema, context, cancellationToken) =>
        {
            if (context.JsonTypeInfo.Type != typeof(ConfigRow))
            {
                return;
            }
            schema.Description = "A configuration row: id and version (configSequence), and the fields of the table the path names, one of these.";
            schema.AnyOf = [];
            foreach (var table in ConfigTables.All)
            {
                var row = await context.GetOrCreateSchemaAsync(table.Type, null, cancellationToken);
                row.Title = table.Name;
                schema.AnyOf.Add(row);
            }
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            // the tables a {table} of the path may name
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>().Where(p => p.Name == "table") ?? [])
            {
                if (parameter.Schema is OpenApiSchema names)
                {
                    names.Enum = [.. ConfigTables.All.Select(t => (JsonNode)JsonValue.Create(t.Name))];
                }
            }
            var policies = context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Select(a => a.Policy).ToList();
            if (policies.Count > 0)
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecurityScheme, context.Document)] = [] });
                operation.Description = $"{operation.Description} Key role: {string.Join("; ", policies.Select(RolesOf))}.".Trim();
            }
            return Task.CompletedTask;
        });
    });

    public static void MapAdminDocs(this WebApplication app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference(PagePath, options => options
            .WithTitle("RealTimeDistributor admin API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json")
            .AddPreferredSecuritySchemes(SecurityScheme)
            .DisableDefaultFonts()
            .DisableTelemetry()
            .DisableAgent()
            .DisableMcp());
        app.MapGet("/", () => Results.Redirect(PagePath)).ExcludeFromDescription();
    }

    /// <summary>Declares a route's summary, its 200 body and every problem status it answers with.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder route, string summary, params int[] problems)
    {
        route.WithSummary(summary).Produces<T>(StatusCodes.Status200OK);
        foreach (var status in problems)
        {
            route.ProducesProblem(status);
        }
        return route;
    }

    /// <summary>The answers every route of a group shares (401, 403 for a key without the role, 429 over the rate limit).</summary>
    public static TBuilder AnswersWithKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AnswersProblems(StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests);

    public static TBuilder AnswersProblems<TBuilder>(this TBuilder builder, params int[] problems) where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in problems)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(ProblemDetails), [ProblemType]));
        }
        return builder;
    }

    private static string RolesOf(string? policy) => policy switch
    {
        AdminRoles.ReadPolicy => $"{AdminRoles.Reader} or {AdminRoles.Editor}",
        AdminRoles.EditPolicy => AdminRoles.Editor,
        AdminRoles.IngestPolicy => $"{AdminRoles.Ingest} (its key names the peripheral)",
        _ => policy ?? "any valid key",
    };
}
