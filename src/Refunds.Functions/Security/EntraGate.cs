using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Refunds.Core.Callers;
using Refunds.Functions.Refunds;

namespace Refunds.Functions.Security;

/// <summary>
/// The worker's check of an Entra ID route: validates the bearer token for the route's permission and, when it passes,
/// makes the token's caller the request's user (so the shared route code records <c>entra:&lt;oid&gt;</c>). Without a
/// bearer token, an operator signed in through App Service Authentication (the console on Azure) is read from the
/// platform's principal header, only while that authentication is on (<see cref="AppServicePrincipal"/>), and recorded
/// as <c>easyauth:&lt;oid&gt;</c>; with it off, such a header is refused as forged.
/// </summary>
public sealed class EntraGate(EntraTokenValidator validator, AppServicePrincipal principal)
{
    /// <summary>Null when the caller may go on; otherwise the refusal to answer with (401/403 per RFC 6750, 404 when off, 503).</summary>
    public async Task<IActionResult?> RefuseAsync(HttpRequest request, EntraPermission needed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var authorization = request.Headers.Authorization.ToString();
        var principalHeader = request.Headers[AppServicePrincipal.Header].ToString();
        var signedIn = authorization.Length == 0 && (principalHeader.Length > 0 || principal.Trusted);
        var check = signedIn
            ? principal.Check(principalHeader, request.Headers.ContainsKey(AppServicePrincipal.ConsoleHeader), needed)
            : await validator.CheckAsync(authorization, needed, cancellationToken);
        if (check is { Allowed: true, Identity: { } identity })
        {
            request.HttpContext.User = new ClaimsPrincipal(identity);
            return null;
        }

        if (!signedIn && check.Status is StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden)
        {
            var error = check.Status == StatusCodes.Status403Forbidden ? "insufficient_scope" : check.Error == "missing_token" ? null : "invalid_token";
            request.HttpContext.Response.Headers.WWWAuthenticate = error is null ? "Bearer" : $"Bearer error=\"{error}\"";
        }

        return ApiResults.Error(check.Status, check.Error!, check.Message!);
    }
}
