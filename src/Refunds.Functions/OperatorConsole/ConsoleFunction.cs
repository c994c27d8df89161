using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace Refunds.Functions.OperatorConsole;

/// <summary>
/// The operator console: static files embedded in this assembly (<see cref="ConsoleFiles"/>), served anonymously
/// because the page holds no data; every data call it makes goes to the manage routes with the master key (locally)
/// or to their <c>/api/entra/manage/…</c> twins with the App Service Authentication session (on Azure).
/// </summary>
public sealed class ConsoleFunction
{
    /// <summary>The route under <c>/api/</c>; <c>/api/console</c> itself serves the page.</summary>
    public const string Route = "console";

    [Function("Console")]
    public IActionResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = Route + "/{*path}")] HttpRequest request,
        string? path)
    {
        ArgumentNullException.ThrowIfNull(request);
        var file = ConsoleFiles.Find(string.IsNullOrEmpty(path) ? ConsoleFiles.IndexPage : path);
        var headers = request.HttpContext.Response.Headers;
        foreach (var (name, value) in ConsoleFiles.SecurityHeaders)
        {
            headers[name] = value;
        }

        if (file is null)
        {
            headers.CacheControl = "no-store";
            return new ContentResult { StatusCode = StatusCodes.Status404NotFound, ContentType = "text/plain; charset=utf-8", Content = "Not found." };
        }

        // The page is revalidated on every load (it names the scripts); scripts and styles for a short while, then
        // revalidated by ETag: a deployment reaches every open console within minutes, never stale for long.
        headers.CacheControl = file.Name == ConsoleFiles.IndexPage ? "no-cache" : "public, max-age=300, must-revalidate";
        headers.ETag = file.ETag;
        if (request.Headers.IfNoneMatch.Contains(file.ETag))
        {
            return new StatusCodeResult(StatusCodes.Status304NotModified);
        }

        return new FileContentResult(file.Content, file.ContentType);
    }
}
