using Azure.Core;
using Azure.Core.Pipeline;

namespace Refunds.Core.Signing;

/// <summary>
/// Key Vault's challenge-based bearer authentication, as the Key Vault SDK does it: the first request goes out
/// without a token (and without its body), the 401 challenge names the tenant and resource, and from then on every
/// request carries a token for that scope (cached by the base policy). The challenge's resource must belong to the
/// vault's own domain, so a spoofed challenge cannot make us hand a token for another audience to the vault host.
/// </summary>
internal sealed class KeyVaultChallengePolicy(TokenCredential credential)
    : BearerTokenAuthenticationPolicy(credential, DefaultScope)
{
    public const string DefaultScope = "https://vault.azure.net/.default";
    private const string StashedContentKey = "KeyVaultChallengePolicy.Content";

    private volatile ChallengeContext? _challenge;

    protected override ValueTask AuthorizeRequestAsync(HttpMessage message)
    {
        var challenge = _challenge;
        if (challenge is null)
        {
            // Unauthenticated probe: hold the body back until the vault has told us where to authenticate.
            if (message.Request.Content is not null)
            {
                message.SetProperty(StashedContentKey, message.Request.Content);
                message.Request.Content = null;
            }

            return default;
        }

        return AuthenticateAndAuthorizeRequestAsync(message, challenge.ToContext());
    }

    protected override void AuthorizeRequest(HttpMessage message)
        => AuthorizeRequestAsync(message).AsTask().GetAwaiter().GetResult();

    protected override async ValueTask<bool> AuthorizeRequestOnChallengeAsync(HttpMessage message)
    {
        if (message.TryGetProperty(StashedContentKey, out var stashed) && stashed is RequestContent content)
        {
            message.Request.Content = content;
        }

        var header = message.Response.Headers.TryGetValue("WWW-Authenticate", out var value) ? value : null;
        var parsed = header is null ? null : ParseBearerChallenge(header);
        if (parsed is null)
        {
            return false;
        }

        if (!parsed.TryGetValue("resource", out var resource) && !parsed.TryGetValue("scope", out resource))
        {
            return false;
        }

        var scope = resource.EndsWith("/.default", StringComparison.Ordinal) ? resource : resource.TrimEnd('/') + "/.default";
        if (!Uri.TryCreate(scope, UriKind.Absolute, out var scopeUri) || !IsDomainSuffix(message.Request.Uri.Host ?? string.Empty, scopeUri.Host))
        {
            throw new InvalidOperationException(
                $"Key Vault challenge names resource host '{(scopeUri?.Host ?? "?")}', which is not a domain of the vault host '{message.Request.Uri.Host}'; refusing to authenticate.");
        }

        string? tenantId = null;
        if ((parsed.TryGetValue("authorization", out var authority) || parsed.TryGetValue("authorization_uri", out authority))
            && Uri.TryCreate(authority, UriKind.Absolute, out var authorityUri))
        {
            tenantId = authorityUri.AbsolutePath.Trim('/').Split('/')[0] is { Length: > 0 } t ? t : null;
        }

        var challenge = new ChallengeContext(scope, tenantId);
        _challenge = challenge;
        await AuthenticateAndAuthorizeRequestAsync(message, challenge.ToContext()).ConfigureAwait(false);
        return true;
    }

    protected override bool AuthorizeRequestOnChallenge(HttpMessage message)
        => AuthorizeRequestOnChallengeAsync(message).AsTask().GetAwaiter().GetResult();

    private static bool IsDomainSuffix(string requestHost, string resourceHost)
        => requestHost.Equals(resourceHost, StringComparison.OrdinalIgnoreCase)
           || requestHost.EndsWith("." + resourceHost, StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses <c>Bearer k1="v1", k2="v2"</c>; Azure.Core's own parser is internal.</summary>
    internal static Dictionary<string, string>? ParseBearerChallenge(string header)
    {
        var text = header.Trim();
        if (!text.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text["Bearer ".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            result[part[..eq].Trim()] = part[(eq + 1)..].Trim().Trim('"');
        }

        return result;
    }

    private sealed record ChallengeContext(string Scope, string? TenantId)
    {
        public TokenRequestContext ToContext() => new([Scope], parentRequestId: null, claims: null, tenantId: TenantId, isCaeEnabled: true);
    }
}
