using System.Text.Json;

namespace RealTimeDistributor.Central.Admin;

/// <summary>
/// The one rule for a JSON request body, on every endpoint that takes one (the admin API's edits and batches, POST
/// /api/activity): Content-Type application/json or a +json type (415 otherwise), a body (400 when empty), JSON (400
/// with the parser's reason), no larger than the server's MaxRequestBodySize (413). The body is read here, not bound, so
/// each refusal is a problem with its reason, logged once at Information (<see cref="AdminApi.LogRefusalAsync"/>), never
/// a 500 with a stack trace.
/// </summary>
internal static class JsonBody
{
    /// <summary>The body as JSON, or the refusal to answer instead.</summary>
    public static async Task<(JsonElement Body, IResult? Refusal)> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            var type = string.IsNullOrEmpty(request.ContentType) ? "none" : $"'{request.ContentType}'";
            return (default, Results.Problem($"The body must be JSON, sent with Content-Type: application/json (not {type}).", statusCode: 415));
        }
        if (request.ContentLength == 0)
        {
            return (default, Results.Problem("The body is empty: it must be JSON.", statusCode: 400));
        }
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
            return (document.RootElement.Clone(), null);
        }
        catch (JsonException exception)
        {
            return (default, Results.Problem($"The body is not JSON: {exception.Message}", statusCode: 400));
        }
        catch (BadHttpRequestException exception)
        {
            // the body is larger than MaxRequestBodySize (413) or was cut short (400)
            return (default, Results.Problem(exception.Message, statusCode: exception.StatusCode));
        }
    }
}
