using System.Security.Claims;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Refunds.Core.Configuration;

namespace Refunds.Core.Callers;

/// <summary>
/// The operator App Service Authentication signed in (the console on Azure): the platform's
/// <c>X-MS-CLIENT-PRINCIPAL</c> header, base64 JSON <c>{"auth_typ","claims":[{"typ","val"}],"name_typ","role_typ"}</c>.
/// Trusted only when App Service Authentication is on, told by two settings that must both say so: the platform's
/// <c>WEBSITE_AUTH_ENABLED</c> (set by App Service itself when authsettingsV2 is enabled) and our own
/// <c>Entra__AppServiceAuthentication</c> (set by infra/app/api.bicep next to authsettingsV2). Off either one, the header
/// is something anyone could have sent and is refused, never read.
/// </summary>
public sealed class AppServicePrincipal(IConfiguration configuration, IOptions<EntraOptions> options)
{
    public const string Header = "X-MS-CLIENT-PRINCIPAL";

    /// <summary>The platform's own setting: <c>True</c> while App Service Authentication is enabled on the app.</summary>
    public const string PlatformSetting = "WEBSITE_AUTH_ENABLED";

    /// <summary>
    /// What the console sends with every call that rides on the platform's session cookie: a cross-site form cannot
    /// set a header, and a cross-site script cannot without a CORS preflight this app never grants.
    /// </summary>
    public const string ConsoleHeader = "X-Refunds-Console";

    /// <summary>The Entra ID object id claim as App Service writes it (the long form; <c>oid</c> is taken too).</summary>
    public const string ObjectIdClaimType = "http://schemas.microsoft.com/identity/claims/objectidentifier";

    private const int MaxHeaderLength = 16 * 1024;

    /// <summary>True only when both the platform and our setting say App Service Authentication is on.</summary>
    public bool Trusted => options.Value.AppServiceAuthentication
        && string.Equals(configuration[PlatformSetting], "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The caller of a request that carried <paramref name="header"/>, if it may take <paramref name="needed"/>.</summary>
    public EntraCheck Check(string? header, bool fromConsole, EntraPermission needed)
    {
        if (!Trusted)
        {
            return EntraCheck.Refuse(401, "untrusted_principal",
                $"App Service Authentication is not on for this app ({PlatformSetting} and {SettingNames.EntraAppServiceAuthentication}), so the {Header} header is not trusted; send an Entra ID bearer token.");
        }

        if (string.IsNullOrWhiteSpace(header))
        {
            return EntraCheck.Refuse(401, "not_signed_in", "Sign in first: open /.auth/login/aad (the console does this itself).");
        }

        if (!fromConsole)
        {
            return EntraCheck.Refuse(403, "missing_console_header", $"Calls made with the sign-in session must carry the {ConsoleHeader} header (the console sends it).");
        }

        if (Parse(header) is not { } principal)
        {
            return EntraCheck.Refuse(401, "invalid_principal", $"The {Header} header is not base64 JSON with claims.");
        }

        var (objectId, roles) = principal;
        if (objectId is null)
        {
            return EntraCheck.Refuse(401, "missing_oid", "The signed-in identity has no object id claim, so the operator cannot be recorded.");
        }

        var accepted = needed switch
        {
            EntraPermission.Submit => [options.Value.SubmitRole],
            EntraPermission.Operate => [options.Value.OperateRole],
            _ => new[] { options.Value.SubmitRole, options.Value.OperateRole },
        };
        if (!roles.Any(r => accepted.Contains(r, StringComparer.Ordinal)))
        {
            return EntraCheck.Refuse(403, "missing_role",
                $"The signed-in identity's app roles ({(roles.Count == 0 ? "none" : string.Join(", ", roles))}) do not include {string.Join(" or ", accepted)}, which this route needs.");
        }

        return new EntraCheck(
            Caller.EasyAuth(objectId.Value),
            new ClaimsIdentity(
                [new Claim(Caller.ObjectIdClaim, objectId.Value.ToString("D")), .. roles.Select(r => new Claim("roles", r))],
                Caller.EasyAuthAuthenticationType, nameType: Caller.ObjectIdClaim, roleType: "roles"),
            200, null, null);
    }

    /// <summary>The object id and app roles in the header's JSON, or null when it is not base64 JSON with a claims array.</summary>
    public static (Guid? ObjectId, IReadOnlyList<string> Roles)? Parse(string header)
    {
        if (header.Length > MaxHeaderLength)
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(Convert.FromBase64String(header.Trim()));
            if (json.RootElement.ValueKind != JsonValueKind.Object
                || !json.RootElement.TryGetProperty("claims", out var claims) || claims.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var roleType = json.RootElement.TryGetProperty("role_typ", out var rt) && rt.ValueKind == JsonValueKind.String ? rt.GetString() : "roles";
            Guid? objectId = null;
            var roles = new List<string>();
            foreach (var claim in claims.EnumerateArray())
            {
                if (claim.ValueKind != JsonValueKind.Object
                    || !claim.TryGetProperty("typ", out var typ) || typ.ValueKind != JsonValueKind.String
                    || !claim.TryGetProperty("val", out var val) || val.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var type = typ.GetString();
                if (type is ObjectIdClaimType or Caller.ObjectIdClaim && Guid.TryParse(val.GetString(), out var oid))
                {
                    objectId ??= oid;
                }
                else if (type == roleType || type == "roles")
                {
                    roles.Add(val.GetString()!);
                }
            }

            return (objectId, roles);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
