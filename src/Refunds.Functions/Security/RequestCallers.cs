using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Refunds.Core.Callers;
using Refunds.Functions.Refunds;

namespace Refunds.Functions.Security;

/// <summary>
/// Who called an HTTP function, the same way on the Functions host and the dev host: the identity on
/// <c>HttpContext.User</c> (an Entra ID token this app validated, or the host's <c>WebJobsAuthLevel</c> key identity with
/// the key's name), else a fingerprint of the key the request presented.
/// </summary>
internal static class RequestCallers
{
    /// <summary>The header the Functions host reads a key from; <c>?code=</c> when the header is absent.</summary>
    private const string KeyHeader = "x-functions-key";

    public static Caller? Of(HttpRequest request)
    {
        var header = request.Headers[KeyHeader].ToString();
        var presented = header.Length > 0 ? header : request.Query["code"].ToString();
        return Caller.From(request.HttpContext.User, presented);
    }

    /// <summary>Fail closed: a route that cannot tell who called does nothing (never seen behind the host's key check).</summary>
    public static IActionResult Unidentified() => ApiResults.Error(
        StatusCodes.Status401Unauthorized, "unidentified_caller", "The caller could not be identified (no key identity, key or validated token).");
}
