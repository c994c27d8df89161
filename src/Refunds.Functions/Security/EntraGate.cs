using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Refunds.Core.Callers;
using Refunds.Functions.Refunds;

namespace Refunds.Functions.Security;

/// <summary>
/// The worker's check of an Entra ID route: validates the bearer token for the route's permission and, when it passes,
/// makes the token's caller the request's user (so the shared route code records <c>entra:&lt;oid&gt;</c>).
/// </summary>
public sealed class EntraGate(EntraTokenValidator validator)
{
    /// <summary>Null when the caller may go on; otherwise the refusal to answer with (401/403 per RFC 6750, 404 when off, 503).</summary>
    public async Task<IActionResult?> RefuseAsync(HttpRequest request, EntraPermission needed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var check = await validator.CheckAsync(request.Headers.Authorization.ToString(), needed, cancellationToken);
        if (check is { Allowed: true, Identity: { } identity })
        {
            request.HttpContext.User = new ClaimsPrincipal(identity);
            return null;
        }

        if (check.Status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            var error = check.Status == StatusCodes.Status403Forbidden ? "insufficient_scope" : check.Error == "missing_token" ? null : "invalid_token";
            request.HttpContext.Response.Headers.WWWAuthenticate = error is null ? "Bearer" : $"Bearer error=\"{error}\"";
        }

        return ApiResults.Error(check.Status, check.Error!, check.Message!);
    }
}
