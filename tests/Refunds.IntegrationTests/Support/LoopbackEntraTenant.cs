using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Refunds.IntegrationTests.Support;

/// <summary>
/// An Entra ID tenant on 127.0.0.1:0 as the app sees one: OpenID Connect discovery (<c>/{tenant}/v2.0/.well-known/openid-configuration</c>)
/// and a JWKS with a real RSA key made here, and v2 access tokens signed with it (RS256) for the tests to send.
/// </summary>
public sealed class LoopbackEntraTenant : IAsyncDisposable
{
    public const string KeyId = "loopback-key-1";

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);

    private LoopbackEntraTenant(WebApplication app) => _app = app;

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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var tenant = new LoopbackEntraTenant(builder.Build());
        tenant._app.MapGet("/{tenantId}/v2.0/.well-known/openid-configuration", (string tenantId) => tenantId != tenant.TenantId.ToString("D")
            ? Results.NotFound()
            : Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = tenant.Issuer,
                ["jwks_uri"] = $"{tenant.Instance}{tenant.TenantId}/discovery/v2.0/keys",
                ["token_endpoint"] = $"{tenant.Instance}{tenant.TenantId}/oauth2/v2.0/token",
                ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            }));
        tenant._app.MapGet("/{tenantId}/discovery/v2.0/keys", () =>
        {
            Interlocked.Increment(ref tenant._keySetReads);
            var p = tenant._key.ExportParameters(includePrivateParameters: false);
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
        await tenant._app.StartAsync();
        tenant.Instance = tenant._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
        return tenant;
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
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }
}
