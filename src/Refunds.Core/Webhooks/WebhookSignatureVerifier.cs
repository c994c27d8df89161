using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using Refunds.Core.Signing;

namespace Refunds.Core.Webhooks;

/// <summary>
/// Verifies Ping++ webhook signatures: RSA-SHA256, PKCS#1 v1.5, over the body bytes exactly as received, against any
/// of the configured Ping++ public keys (rotation). Fails closed: it cannot be built without a key.
/// </summary>
public sealed class WebhookSignatureVerifier : IDisposable
{
    /// <summary>The header Ping++ puts the signature in; look it up case-insensitively.</summary>
    public const string SignatureHeaderName = "X-Pingplusplus-Signature";

    private const int MaxSignatureBytes = PemKey.MaxKeyBits / 8;

    // Base64 of the largest signature plus room for whitespace/line breaks some proxies insert.
    private const int MaxSignatureChars = (MaxSignatureBytes + 2) / 3 * 4 + 16;

    private readonly RSA[] _keys;
    private readonly int[] _signatureLengths;

    /// <summary>Takes ownership of <paramref name="publicKeys"/>.</summary>
    public WebhookSignatureVerifier(IEnumerable<RSA> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        _keys = [.. publicKeys];
        if (_keys.Length == 0)
        {
            throw new InvalidOperationException(
                $"{WebhookOptions.KeySettingName(0)} is required: without a Ping++ public key no webhook can be verified.");
        }

        _signatureLengths = [.. _keys.Select(k => k.KeySize / 8)];
        KeyFingerprints = [.. _keys.Select(PemKey.Fingerprint)];
    }

    /// <summary>Loads every key of <paramref name="options"/>; throws <see cref="KeyConfigurationException"/> naming the setting when one is unusable.</summary>
    public static WebhookSignatureVerifier FromOptions(WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new List<RSA>();
        try
        {
            for (var i = 0; i < options.WebhookPublicKeys.Count; i++)
            {
                keys.Add(PemKey.LoadRsa(options.WebhookPublicKeys[i], WebhookOptions.KeySettingName(i), requirePrivate: false));
            }

            return new WebhookSignatureVerifier(keys);
        }
        catch
        {
            keys.ForEach(k => k.Dispose());
            throw;
        }
    }

    /// <summary>Short SHA-256 fingerprints of the configured keys, in order: safe to log.</summary>
    public IReadOnlyList<string> KeyFingerprints { get; }

    public WebhookSignatureResult Verify(ReadOnlySpan<byte> body, string? signatureHeader)
    {
        if (string.IsNullOrWhiteSpace(signatureHeader))
        {
            return WebhookSignatureResult.MissingSignature;
        }

        var encoded = signatureHeader.AsSpan().Trim();
        if (encoded.Length > MaxSignatureChars)
        {
            return WebhookSignatureResult.MalformedSignature;
        }

        Span<byte> signature = stackalloc byte[MaxSignatureBytes + 3];
        if (!TryDecodeBase64(encoded, signature, out var length) || length == 0 || length > MaxSignatureBytes)
        {
            return WebhookSignatureResult.MalformedSignature;
        }

        signature = signature[..length];

        // Hash once, then try each key: rotation costs one RSA public operation per key, not one hash per key.
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(body, hash);
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_signatureLengths[i] == length
                && _keys[i].VerifyHash(hash, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return WebhookSignatureResult.Valid;
            }
        }

        return WebhookSignatureResult.InvalidSignature;
    }

    /// <summary>
    /// <see cref="Convert.TryFromBase64Chars"/>, with a fast path: a header of plain ASCII base64 (what Ping++ sends) is
    /// narrowed to bytes and decoded by the vectorized UTF-8 decoder, about five times faster. Anything that path does
    /// not decode completely (whitespace, non-ASCII, bad padding) goes to the char decoder, which decides as before.
    /// </summary>
    private static bool TryDecodeBase64(ReadOnlySpan<char> encoded, Span<byte> destination, out int written)
    {
        Span<byte> ascii = stackalloc byte[MaxSignatureChars];
        if (System.Text.Ascii.FromUtf16(encoded, ascii, out var narrowed) == OperationStatus.Done
            && Base64.DecodeFromUtf8(ascii[..narrowed], destination, out var consumed, out written) == OperationStatus.Done
            && consumed == narrowed)
        {
            return true;
        }

        return Convert.TryFromBase64Chars(encoded, destination, out written);
    }

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
    }
}
