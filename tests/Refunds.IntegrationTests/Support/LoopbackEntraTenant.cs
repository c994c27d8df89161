using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Refunds.IntegrationTests.Support;

/// <summary>
/// An Entra ID tenant on 127.0.0.1:0 as the app sees one: OpenID Connect discovery (<c>/{tenant}/v2.0/.well-known/openid-configuration</c>)
/// and a JWKS with a real RSA key made here, and v2 access tokens signed with it (RS256) for the tests to send. Served
/// by the shared <see cref="LoopbackServer"/>.
/// </summary>
public sealed class LoopbackEntraTenant : IAsyncDisposable
{
    public const string KeyId = "loopback-key-1";

    private readonly RSA _key = RSA.Create(2048);
    private LoopbackServer? _server;

    private LoopbackEntraTenant()
    {
    }

    public Guid TenantId { get; } = Guid.NewGuid();

    /// <summary>The API's application (client) id: the audience of its tokens.</summary>
    public string Audience { get; } = Guid.NewGuid().ToString("D");

    public string Instance { get; private set; } = "";

    public string Issuer => $"{Instance}{TenantId}/v2.0";

    /// <summary>How many times the app read the JWKS.</summary>
    public int KeySetReads => _keySetReads;

    private int _keySetReads;

    /// <summary>The app settings that turn Entra ID on against this tenant.</summary>
    public IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Entra:Instance"] = Instance,
        ["Entra:TenantId"] = TenantId.ToString("D"),
        ["Entra:Audience"] = Audience,
    };

    public static async Task<LoopbackEntraTenant> StartAsync()
    {
        var tenant = new LoopbackEntraTenant();
        tenant._server = await LoopbackServer.StartAsync(tenant.Map);
        tenant.Instance = tenant._server.BaseAddress + "/";
        return tenant;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/{tenantId}/v2.0/.well-known/openid-configuration", (string tenantId) => tenantId != TenantId.ToString("D")
            ? Results.NotFound()
            : Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = Issuer,
                ["jwks_uri"] = $"{Instance}{TenantId}/discovery/v2.0/keys",
                ["token_endpoint"] = $"{Instance}{TenantId}/oauth2/v2.0/token",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }));
        app.MapGet("/{tenantId}/discovery/v2.0/keys", () =>
        {
            Interlocked.Increment(ref _keySetReads);
            var p = _key.ExportParameters(includePrivateParameters: false);
            return Results.Json(new
            {
                keys = new[]
                {
                    new Dictionary<string, string>
                    {
                        ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = KeyId,
                        ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
                    },
                },
            });
        });
    }

    /// <summary>
    /// A v2 access token as Entra ID issues one to a service: this tenant's issuer, the API's audience, the caller's
    /// object id and app roles, valid for an hour, RS256 by the tenant's key. Each part can be changed to make a bad one.
    /// </summary>
    public string Token(
        Guid? objectId,
        IReadOnlyList<string> roles,
        string? audience = null,
        string? issuer = null,
        DateTime? expires = null,
        RSA? signedWith = null,
        string keyId = KeyId)
    {
        var claims = new Dictionary<string, object> { ["tid"] = TenantId.ToString("D"), ["ver"] = "2.0" };
        if (objectId is { } oid)
        {
            claims["oid"] = oid.ToString("D");
        }

        if (roles.Count > 0)
        {
            claims["roles"] = roles.ToArray();
        }

        var expiry = expires ?? DateTime.UtcNow.AddHours(1);
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience ?? Audience,
            IssuedAt = expiry.AddHours(-1),
            NotBefore = expiry.AddHours(-1),
            Expires = expiry,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(signedWith ?? _key) { KeyId = keyId }, SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _key.Dispose();
    }
}
