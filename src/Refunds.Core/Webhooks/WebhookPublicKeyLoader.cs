using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Refunds.Core.Webhooks;

/// <summary>
/// Loads a Ping++ webhook public key from an app setting. Tolerates what app settings and Key Vault do to PEM text
/// (a UTF-8 BOM, one line with literal <c>\n</c>, surrounding whitespace) and rejects anything that is not an RSA
/// public key of 2048–4096 bits. Error messages name the setting and never echo its value.
/// </summary>
/// <remarks>
/// Kept inside Webhooks for now; the request signer in <c>Signing/</c> has its own PEM loader and the two are to be merged.
/// </remarks>
internal static class WebhookPublicKeyLoader
{
    private const int MinKeyBits = 2048;
    private const int MaxKeyBits = 4096;

    public static RSA Load(string settingName, string? value)
        => TryLoad(settingName, value, out var key, out var error) ? key : throw new InvalidOperationException(error);

    public static bool TryLoad(string settingName, string? value, [NotNullWhen(true)] out RSA? key, [NotNullWhen(false)] out string? error)
    {
        key = null;
        if (string.IsNullOrWhiteSpace(value))
        {
            error = $"{settingName} is empty: set it to the Ping++ public key (PEM text or a path to the .pem file).";
            return false;
        }

        var text = Clean(value);
        if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            if (!LooksLikePath(text) || !File.Exists(text))
            {
                error = $"{settingName} is neither PEM text (-----BEGIN PUBLIC KEY-----) nor the path of an existing file.";
                return false;
            }

            try
            {
                // Decode bytes ourselves: a BOM must be stripped whatever the reader would do with it.
                text = Clean(Encoding.UTF8.GetString(File.ReadAllBytes(text)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error = $"{settingName} names a file that cannot be read ({e.GetType().Name}).";
                return false;
            }
        }

        if (!PemEncoding.TryFind(text, out var fields))
        {
            error = $"{settingName} does not contain a complete PEM block.";
            return false;
        }

        var label = text[fields.Label];
        if (label.Contains("PRIVATE", StringComparison.Ordinal))
        {
            error = $"{settingName} holds a private key ({label}); it must be the Ping++ public key (-----BEGIN PUBLIC KEY-----). Treat that private key as exposed.";
            return false;
        }

        if (label is not ("PUBLIC KEY" or "RSA PUBLIC KEY"))
        {
            error = $"{settingName} holds a '{label}' PEM block; expected -----BEGIN PUBLIC KEY-----.";
            return false;
        }

        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(text);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            rsa.Dispose();
            error = $"{settingName} is not a valid RSA public key.";
            return false;
        }

        if (rsa.KeySize is < MinKeyBits or > MaxKeyBits)
        {
            var bits = rsa.KeySize;
            rsa.Dispose();
            error = $"{settingName} is a {bits}-bit RSA key; Ping++ keys are {MinKeyBits}–{MaxKeyBits} bits.";
            return false;
        }

        key = rsa;
        error = null;
        return true;
    }

    /// <summary>A short SHA-256 fingerprint of the key, safe to log.</summary>
    public static string Fingerprint(RSA key)
        => Convert.ToHexStringLower(SHA256.HashData(key.ExportSubjectPublicKeyInfo()).AsSpan(0, 8));

    private static string Clean(string value)
    {
        var text = value.Trim().TrimStart('\uFEFF').Trim();
        if (text.Contains("\\n", StringComparison.Ordinal))
        {
            text = text.Replace("\\r\\n", "\n", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        }

        return text;
    }

    private static bool LooksLikePath(string text) => text.Length < 1024 && !text.Contains('\n');
}
