using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Refunds.Core.Configuration;

namespace Refunds.Core.Signing;

/// <summary>
/// Signs through Key Vault's REST <c>sign</c> operation (RS256) so the private key never leaves the vault. The digest is
/// computed here; one <c>sign</c> call per signature. A thin stand-in for the SDK's <c>CryptographyClient</c>, which
/// is not available on this project's feed: swap it in here if your feed has <c>Azure.Security.KeyVault.Keys</c>.
/// </summary>
public sealed class KeyVaultRequestSigner : IRequestSigner
{
    private readonly HttpPipeline _pipeline;
    private readonly Uri _signUri;
    private readonly string _keyId;

    public KeyVaultRequestSigner(string keyId, TokenCredential credential, KeyVaultSignerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        options ??= new KeyVaultSignerOptions();
        var keyUri = ParseKeyId(keyId, SettingNames.PingppSigningKeyId);
        _keyId = keyUri.AbsoluteUri.TrimEnd('/');
        _signUri = new Uri($"{_keyId}/sign?api-version={Uri.EscapeDataString(options.ApiVersion)}");
        _pipeline = HttpPipelineBuilder.Build(options, new KeyVaultChallengePolicy(credential));
    }

    public string KeyDescription => "keyvault:" + _keyId;

    /// <summary>
    /// Validates a versioned Key Vault key id (<c>https://{vault}/keys/{name}/{version}</c>); the message names
    /// <paramref name="settingName"/>. Versioned, because the merchant's public key registered at Ping++ is one version.
    /// </summary>
    public static Uri ParseKeyId(string? keyId, string settingName)
    {
        const string Shape = "https://<vault>.vault.azure.net/keys/<name>/<version>";
        if (string.IsNullOrWhiteSpace(keyId))
        {
            throw new KeyConfigurationException($"{settingName} is empty; expected a versioned Key Vault key id like {Shape}.");
        }

        if (!Uri.TryCreate(keyId.Trim(), UriKind.Absolute, out var uri))
        {
            throw new KeyConfigurationException($"{settingName} is not an absolute URL; expected {Shape}.");
        }

        if (uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new KeyConfigurationException($"{settingName} must use https; expected {Shape}.");
        }

        if (!string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new KeyConfigurationException($"{settingName} must not carry a query, fragment or user info; expected {Shape}.");
        }

        var segments = uri.AbsolutePath.Trim('/').Split('/');
        if (segments.Length != 3 || !segments[0].Equals("keys", StringComparison.OrdinalIgnoreCase)
            || segments[1].Length == 0 || segments[2].Length == 0)
        {
            throw new KeyConfigurationException(
                $"{settingName} must be a versioned key id ('/keys/<name>/<version>'), got path '{uri.AbsolutePath}'; expected {Shape}.");
        }

        return uri;
    }

    public async ValueTask<byte[]> SignAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var digest = SHA256.HashData(data.Span);
        using var message = _pipeline.CreateMessage();
        var request = message.Request;
        request.Method = RequestMethod.Post;
        request.Uri.Reset(_signUri);
        request.Headers.SetValue(HttpHeader.Names.ContentType, "application/json");
        request.Headers.SetValue(HttpHeader.Names.Accept, "application/json");
        request.Content = RequestContent.Create(JsonSerializer.SerializeToUtf8Bytes(new SignRequest("RS256", Base64Url.EncodeToString(digest))));

        Response response;
        try
        {
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
            response = message.Response;
        }
        catch (RequestFailedException ex)
        {
            // Status 0: the transport failed after Azure.Core's retries (DNS, connection, network timeout).
            throw new RequestSigningException($"Key Vault sign with {_keyId} failed: {ex.Message}", isTransient: true, ex.Status == 0 ? null : ex.Status, ex);
        }
        catch (AuthenticationFailedException ex)
        {
            throw new RequestSigningException($"Could not get a Key Vault token to sign with {_keyId}: {ex.Message}", isTransient: true, innerException: ex);
        }
        catch (InvalidOperationException ex)
        {
            // The challenge policy refused the vault's challenge (resource outside the vault's domain).
            throw new RequestSigningException($"Key Vault sign with {_keyId} refused: {ex.Message}", isTransient: false, innerException: ex);
        }

        if (response.IsError)
        {
            var failure = new RequestFailedException(response);
            var transient = response.Status is 408 or 429 or >= 500;
            throw new RequestSigningException(
                $"Key Vault sign with {_keyId} returned {response.Status} ({failure.ErrorCode ?? "no error code"}).", transient, response.Status, failure);
        }

        return ReadSignature(response);
    }

    private byte[] ReadSignature(Response response)
    {
        SignResponse? body;
        try
        {
            body = JsonSerializer.Deserialize<SignResponse>(response.Content.ToMemory().Span);
        }
        catch (JsonException ex)
        {
            throw new RequestSigningException($"Key Vault sign with {_keyId} returned a body that is not JSON.", isTransient: false, response.Status, ex);
        }

        if (body?.Value is not { Length: > 0 } value)
        {
            throw new RequestSigningException($"Key Vault sign with {_keyId} returned no signature value.", isTransient: false, response.Status);
        }

        if (body.Kid is { Length: > 0 } kid && !kid.TrimEnd('/').Equals(_keyId, StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestSigningException($"Key Vault signed with '{kid}' instead of the configured '{_keyId}'.", isTransient: false, response.Status);
        }

        try
        {
            return Base64Url.DecodeFromChars(value);
        }
        catch (FormatException ex)
        {
            throw new RequestSigningException($"Key Vault sign with {_keyId} returned a signature that is not base64url.", isTransient: false, response.Status, ex);
        }
    }

    private sealed record SignRequest(
        [property: System.Text.Json.Serialization.JsonPropertyName("alg")] string Alg,
        [property: System.Text.Json.Serialization.JsonPropertyName("value")] string Value);

    private sealed record SignResponse(
        [property: System.Text.Json.Serialization.JsonPropertyName("kid")] string? Kid,
        [property: System.Text.Json.Serialization.JsonPropertyName("value")] string? Value);
}
