using System.Security.Claims;

namespace Refunds.Core.Callers;

/// <summary>
/// What <see cref="EntraTokenValidator"/> decided: the caller, or a refusal with its HTTP status (401 no or bad token,
/// 403 valid token without the role, 404 Entra ID not configured, 503 the tenant's signing keys could not be read),
/// a stable error code and a message that says exactly what was wrong (never the token).
/// </summary>
/// <param name="Identity">For an allowed caller: its object id and app roles, as <see cref="Caller.From"/> reads them back.</param>
public sealed record EntraCheck(Caller? Caller, ClaimsIdentity? Identity, int Status, string? Error, string? Message)
{
    public bool Allowed => Caller is not null;

    public static EntraCheck Allow(Guid objectId, IEnumerable<string> roles) => new(
        Caller.Entra(objectId),
        new ClaimsIdentity(
            [new Claim(Caller.ObjectIdClaim, objectId.ToString("D")), .. roles.Select(r => new Claim("roles", r))],
            Caller.EntraAuthenticationType, nameType: Caller.ObjectIdClaim, roleType: "roles"),
        200, null, null);

    public static EntraCheck Refuse(int status, string error, string message) => new(null, null, status, error, message);
}
