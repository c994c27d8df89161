using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Refunds.Core.Callers;

/// <summary>
/// Validates an Entra ID access token (v2, RS256) from an <c>Authorization: Bearer</c> header and checks its app role.
/// Fail closed: no token, a bad signature, another issuer or audience, an expired token or a missing role is a refusal
/// with the reason; the tenant's signing keys come from its OpenID Connect metadata (cached, refreshed on an unknown key id).
/// </summary>
public sealed partial class EntraTokenValidator
{
    /// <summary>The named HttpClient that reads the tenant's metadata and keys.</summary>
    public const string HttpClientName = "EntraMetadata";

    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(2);

    private readonly EntraOptions _options;
    private readonly ILogger<EntraTokenValidator> _logger;
    private readonly ConfigurationManager<OpenIdConnectConfiguration>? _metadata;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public EntraTokenValidator(IOptions<EntraOptions> options, IHttpClientFactory httpClients, ILogger<EntraTokenValidator> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(httpClients);
        _options = options.Value;
        _logger = logger;
        if (_options.Enabled)
        {
            var retriever = new HttpDocumentRetriever(httpClients.CreateClient(HttpClientName)) { RequireHttps = !_options.IsLoopbackInstance };
            _metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
                _options.MetadataAddress.AbsoluteUri, new OpenIdConnectConfigurationRetriever(), retriever);
        }
    }

    public bool Enabled => _metadata is not null;

    /// <summary>The caller of a request with <paramref name="authorization"/> (the header's value), if its token allows <paramref name="needed"/>.</summary>
    public async Task<EntraCheck> CheckAsync(string? authorization, EntraPermission needed, CancellationToken cancellationToken)
    {
        if (_metadata is null)
        {
            return EntraCheck.Refuse(404, "entra_disabled", "This app accepts no Entra ID tokens (Entra__TenantId and Entra__Audience are not set); use a function key on /api/… instead.");
        }

        if (string.IsNullOrWhiteSpace(authorization))
        {
            return Refused(401, "missing_token", $"Send an Entra ID access token for audience {_options.Audience} as 'Authorization: Bearer <token>'.", needed);
        }

        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= 7)
        {
            return Refused(401, "invalid_token", "The Authorization header is not a Bearer token.", needed);
        }

        OpenIdConnectConfiguration metadata;
        try
        {
            metadata = await _metadata.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            LogMetadataFailed(_logger, e, _options.MetadataAddress.AbsoluteUri);
            return EntraCheck.Refuse(503, "identity_provider_unavailable", "The tenant's token signing keys could not be read; try again later.");
        }

        var token = authorization[7..].Trim();
        var result = await _handler.ValidateTokenAsync(token, Parameters(metadata)).ConfigureAwait(false);
        if (result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            // Entra ID rolls its signing keys: read the metadata again (at most once per refresh interval) and retry once.
            _metadata.RequestRefresh();
            try
            {
                metadata = await _metadata.GetConfigurationAsync(cancellationToken).ConfigureAwait(false);
                result = await _handler.ValidateTokenAsync(token, Parameters(metadata)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
            {
                LogMetadataFailed(_logger, e, _options.MetadataAddress.AbsoluteUri);
            }
        }

        if (!result.IsValid)
        {
            var (error, message) = Describe(result.Exception, metadata.Issuer);
            return Refused(401, error, message, needed);
        }

        var claims = result.ClaimsIdentity;
        if (claims.FindFirst(Caller.ObjectIdClaim)?.Value is not { } oid || !Guid.TryParse(oid, out var objectId))
        {
            return Refused(401, "missing_oid", "The token has no object id (oid) claim, so the caller cannot be recorded.", needed);
        }

        var roles = claims.FindAll("roles").Select(c => c.Value).ToList();
        var accepted = needed switch
        {
            EntraPermission.Submit => [_options.SubmitRole],
            EntraPermission.Operate => [_options.OperateRole],
            _ => new[] { _options.SubmitRole, _options.OperateRole },
        };
        var caller = Caller.Entra(objectId);
        if (!roles.Any(r => accepted.Contains(r, StringComparer.Ordinal)))
        {
            LogForbidden(_logger, caller.Id, needed, string.Join(",", roles));
            return EntraCheck.Refuse(403, "missing_role",
                $"The token's app roles ({(roles.Count == 0 ? "none" : string.Join(", ", roles))}) do not include {string.Join(" or ", accepted)}, which this route needs.");
        }

        return EntraCheck.Allow(objectId, roles);
    }

    private TokenValidationParameters Parameters(OpenIdConnectConfiguration metadata) => new()
    {
        ValidIssuer = metadata.Issuer,
        ValidAudience = _options.Audience,
        IssuerSigningKeys = metadata.SigningKeys,
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = true,
        ValidateIssuerSigningKey = true,
        ClockSkew = ClockSkew,
    };

    private (string Error, string Message) Describe(Exception? exception, string issuer) => exception switch
    {
        SecurityTokenExpiredException => ("token_expired", "The token has expired; get a new one."),
        SecurityTokenNotYetValidException => ("token_not_yet_valid", "The token is not valid yet (nbf in the future)."),
        SecurityTokenNoExpirationException => ("invalid_token", "The token has no expiry (exp)."),
        SecurityTokenInvalidAudienceException => ("wrong_audience", $"The token is not for this API: its audience must be {_options.Audience}."),
        SecurityTokenInvalidIssuerException => ("wrong_issuer", $"The token was not issued by {issuer} (v2 tokens of this tenant only: set requestedAccessTokenVersion to 2 on the app registration)."),
        SecurityTokenSignatureKeyNotFoundException => ("invalid_signature", "The token is not signed by a key of the tenant."),
        SecurityTokenInvalidSignatureException => ("invalid_signature", "The token's signature is not valid."),
        SecurityTokenInvalidAlgorithmException => ("invalid_signature", "The token is not signed with RS256."),
        _ => ("invalid_token", "The token is not a well-formed signed JWT."),
    };

    private EntraCheck Refused(int status, string error, string message, EntraPermission needed)
    {
        LogRefused(_logger, needed, error);
        return EntraCheck.Refuse(status, error, message);
    }

    [LoggerMessage(7001, LogLevel.Information, "Entra ID caller refused for {Permission}: {Error}")]
    private static partial void LogRefused(ILogger logger, EntraPermission permission, string error);

    [LoggerMessage(7002, LogLevel.Warning, "Entra ID caller {Caller} lacks the role for {Permission}; token roles: {Roles}")]
    private static partial void LogForbidden(ILogger logger, string caller, EntraPermission permission, string roles);

    [LoggerMessage(7003, LogLevel.Error, "Entra ID metadata {MetadataAddress} could not be read")]
    private static partial void LogMetadataFailed(ILogger logger, Exception exception, string metadataAddress);
}
