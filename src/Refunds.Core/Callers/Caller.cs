using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace Refunds.Core.Callers;

/// <summary>
/// Who called an HTTP route, as recorded on what the call did: <c>entra:&lt;object id&gt;</c> for an Entra ID token,
/// <c>key:&lt;key name&gt;</c> for a function or host key (<c>key:master</c> for the master key),
/// <c>easyauth:&lt;object id&gt;</c> for an operator signed in through App Service Authentication (the console on Azure).
/// </summary>
public sealed record Caller
{
    public const string EntraPrefix = "entra:";
    public const string KeyPrefix = "key:";
    public const string EasyAuthPrefix = "easyauth:";

    /// <summary>
    /// The authentication type of the identity the Functions host (and the dev host) puts on a request that presented
    /// a valid key (<c>AuthLevelAuthenticationDefaults.AuthenticationScheme</c> in the host's source).
    /// </summary>
    public const string KeyAuthenticationType = "WebJobsAuthLevel";

    /// <summary>The host's claim with the name of the key that matched (<c>SecurityConstants.AuthLevelKeyNameClaimType</c>).</summary>
    public const string KeyNameClaim = "http://schemas.microsoft.com/2017/07/functions/claims/keyid";

    /// <summary>The host's claim with the level the key grants: Function, System or Admin.</summary>
    public const string AuthLevelClaim = "http://schemas.microsoft.com/2017/07/functions/claims/authlevel";

    /// <summary>The authentication type of the identity this app puts on a request whose Entra ID token it validated.</summary>
    public const string EntraAuthenticationType = "Refunds.EntraBearer";

    /// <summary>The authentication type of the identity this app puts on a request whose trusted App Service principal it read.</summary>
    public const string EasyAuthAuthenticationType = "Refunds.AppServiceAuthentication";

    /// <summary>The Entra ID object id claim (the calling service principal, or user).</summary>
    public const string ObjectIdClaim = "oid";

    private const int MaxKeyNameLength = 128;

    private Caller(string id) => Id = id;

    /// <summary><c>entra:…</c>, <c>easyauth:…</c> or <c>key:…</c>; what the ledger stores.</summary>
    public string Id { get; }

    public static Caller Entra(Guid objectId) => new(EntraPrefix + objectId.ToString("D"));

    public static Caller EasyAuth(Guid objectId) => new(EasyAuthPrefix + objectId.ToString("D"));

    /// <summary>A key caller by the key's name; characters outside <c>[A-Za-z0-9._-]</c> become <c>_</c> (a name is no place for markup).</summary>
    public static Caller Key(string keyName)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyName);
        var safe = new string([.. keyName.Take(MaxKeyNameLength).Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_')]);
        return new Caller(KeyPrefix + safe);
    }

    /// <summary>
    /// A key caller whose key name the host did not pass on: <c>key:sha256-&lt;first 12 hex digits of SHA-256(key)&gt;</c>.
    /// The Functions host forwards no identities to a worker using ASP.NET Core integration (docs/security.md), only the
    /// request with its key; 48 bits of a hash of a 256-bit random key tell keys apart and reveal nothing of them.
    /// </summary>
    public static Caller KeyFingerprint(string presentedKey)
    {
        ArgumentException.ThrowIfNullOrEmpty(presentedKey);
        return new Caller(KeyPrefix + "sha256-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)), 0, 6));
    }

    /// <summary>
    /// The caller of a request: an identity this app validated (Entra ID), else the host's key identity, else the key the
    /// request presented (the host checked it before the function ran). Null when none of them is there.
    /// </summary>
    public static Caller? From(ClaimsPrincipal? user, string? presentedKey)
    {
        var identities = user?.Identities.Where(i => i.IsAuthenticated).ToList() ?? [];
        if (identities.FirstOrDefault(i => i.AuthenticationType == EntraAuthenticationType)?.FindFirst(ObjectIdClaim)?.Value is { } oid
            && Guid.TryParse(oid, out var objectId))
        {
            return Entra(objectId);
        }

        if (identities.FirstOrDefault(i => i.AuthenticationType == EasyAuthAuthenticationType)?.FindFirst(ObjectIdClaim)?.Value is { } easyOid
            && Guid.TryParse(easyOid, out var easyObjectId))
        {
            return EasyAuth(easyObjectId);
        }

        if (identities.FirstOrDefault(i => i.AuthenticationType == KeyAuthenticationType)?.FindFirst(KeyNameClaim)?.Value is { Length: > 0 } name)
        {
            return Key(name);
        }

        return string.IsNullOrEmpty(presentedKey) ? null : KeyFingerprint(presentedKey);
    }

    public override string ToString() => Id;
}
