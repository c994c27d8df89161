using System.Security.Cryptography;
using System.Text;

namespace Refunds.Core.Signing;

/// <summary>
/// Loads RSA keys from app settings that hold either PEM text or the path of a PEM file, tolerating what app settings
/// and key files do to PEMs: a UTF-8 BOM, CRLF line ends, <c>\n</c>-escaped single-line values and the whole PEM in
/// base64 on one line (the form <c>azd</c> carries through its parameter substitution: docs/deploy.md). One loader for
/// every key the app reads: the request-signing private key and the Ping++ webhook public keys.
/// </summary>
public static class PemKey
{
    /// <summary>Smallest RSA key accepted: shorter keys are breakable, and neither Ping++ nor we issue them.</summary>
    public const int MinKeyBits = 2048;

    /// <summary>Largest RSA key accepted: bounds the cost of one verification and the signature length we parse.</summary>
    public const int MaxKeyBits = 4096;

    private const string PrivatePkcs1 = "RSA PRIVATE KEY";
    private const string PrivatePkcs8 = "PRIVATE KEY";
    private const string PublicPkcs1 = "RSA PUBLIC KEY";
    private const string PublicSpki = "PUBLIC KEY";

    /// <summary>
    /// Loads an RSA key. <paramref name="requirePrivate"/> = true accepts only private keys (PKCS#1 or PKCS#8);
    /// false accepts only public keys (SPKI or PKCS#1), so a private key pasted into a public-key setting is refused.
    /// Either way the key must have <see cref="MinKeyBits"/>–<see cref="MaxKeyBits"/> bits.
    /// Throws <see cref="KeyConfigurationException"/> naming <paramref name="settingName"/>; the key is never echoed.
    /// </summary>
    public static RSA LoadRsa(string? textOrPath, string settingName, bool requirePrivate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(settingName);
        var pem = ReadPemText(textOrPath, settingName);

        var (label, der) = FindKeyBlock(pem, settingName, requirePrivate);
        var isPrivate = label is PrivatePkcs1 or PrivatePkcs8;
        if (requirePrivate && !isPrivate)
        {
            throw new KeyConfigurationException($"{settingName} holds a public key ({label}); a private key (BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY) is required.");
        }

        if (!requirePrivate && isPrivate)
        {
            // Whoever pasted it may have pasted it elsewhere too: a private key in a setting meant for a public one has
            // been handled as non-secret.
            throw new KeyConfigurationException($"{settingName} holds a private key ({label}); only a public key (-----BEGIN PUBLIC KEY-----) belongs here. Treat that private key as exposed: remove it and rotate it.");
        }

        var rsa = RSA.Create();
        try
        {
            int read;
            switch (label)
            {
                case PrivatePkcs1: rsa.ImportRSAPrivateKey(der, out read); break;
                case PrivatePkcs8: rsa.ImportPkcs8PrivateKey(der, out read); break;
                case PublicPkcs1: rsa.ImportRSAPublicKey(der, out read); break;
                default: rsa.ImportSubjectPublicKeyInfo(der, out read); break;
            }

            if (read != der.Length)
            {
                throw new KeyConfigurationException($"{settingName} has trailing data after the {label} structure.");
            }

            if (rsa.KeySize is < MinKeyBits or > MaxKeyBits)
            {
                throw new KeyConfigurationException($"{settingName} is a {rsa.KeySize}-bit RSA key; {MinKeyBits}–{MaxKeyBits} bits are required.");
            }
        }
        catch (CryptographicException ex)
        {
            rsa.Dispose();
            // The inner exception carries no key material, only the decoder's complaint.
            throw new KeyConfigurationException($"{settingName} has a '{label}' PEM block that is not a valid RSA key.", ex);
        }
        catch
        {
            rsa.Dispose();
            throw;
        }

        return rsa;
    }

    /// <summary>A non-secret key fingerprint for logs: SHA-256 of the SubjectPublicKeyInfo, first 16 hex digits.</summary>
    public static string Fingerprint(RSA rsa)
    {
        ArgumentNullException.ThrowIfNull(rsa);
        var hash = SHA256.HashData(rsa.ExportSubjectPublicKeyInfo());
        return "sha256:" + Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    private static string ReadPemText(string? textOrPath, string settingName)
    {
        if (string.IsNullOrWhiteSpace(textOrPath))
        {
            throw new KeyConfigurationException($"{settingName} is empty; set it to PEM text or the path of a PEM file.");
        }

        var value = Normalize(textOrPath);
        if (value.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            return value;
        }

        if (value.StartsWith(Base64PemStart, StringComparison.Ordinal))
        {
            return DecodeBase64Pem(value, settingName);
        }

        if (value.Length < 4096 && !value.Contains('\n') && File.Exists(value))
        {
            string fileText;
            try
            {
                fileText = File.ReadAllText(value, Encoding.UTF8);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new KeyConfigurationException($"{settingName} names a file that cannot be read ({ex.GetType().Name}).", ex);
            }

            fileText = Normalize(fileText);
            if (fileText.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                return fileText;
            }

            throw new KeyConfigurationException($"{settingName} names a file that holds no PEM block (-----BEGIN ...-----).");
        }

        throw new KeyConfigurationException($"{settingName} is neither PEM text (-----BEGIN ...-----) nor the path of an existing PEM file.");
    }

    /// <summary>"-----BEGIN" in base64: a value that starts with it is a whole PEM encoded on one line.</summary>
    private const string Base64PemStart = "LS0tLS1CRUdJTi";

    private static string DecodeBase64Pem(string value, string settingName)
    {
        var compact = string.Concat(value.Where(c => !char.IsWhiteSpace(c)));
        var bytes = new byte[compact.Length];
        if (!Convert.TryFromBase64String(compact, bytes, out var written))
        {
            throw new KeyConfigurationException($"{settingName} looks like a base64-encoded PEM but is not valid base64 (it was cut or altered).");
        }

        return Normalize(Encoding.UTF8.GetString(bytes, 0, written));
    }

    private static string Normalize(string value)
    {
        var text = value.Trim().TrimStart('\uFEFF').Trim();
        // App settings often carry a PEM on one line with literal "\n" (or "\r\n") escapes.
        if (text.Contains("\\n", StringComparison.Ordinal))
        {
            text = text.Replace("\\r\\n", "\n", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal);
        }

        return text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
    }

    private static (string Label, byte[] Der) FindKeyBlock(string pem, string settingName, bool requirePrivate)
    {
        var remaining = pem.AsSpan();
        var sawEncrypted = false;
        while (PemEncoding.TryFind(remaining, out var fields))
        {
            var label = remaining[fields.Label].ToString();
            if (label is PrivatePkcs1 or PrivatePkcs8 or PublicPkcs1 or PublicSpki)
            {
                var der = new byte[fields.DecodedDataLength];
                if (!Convert.TryFromBase64Chars(remaining[fields.Base64Data], der, out var written) || written != der.Length)
                {
                    throw new KeyConfigurationException($"{settingName} has a '{label}' PEM block whose base64 body is damaged.");
                }

                return (label, der);
            }

            sawEncrypted |= label == "ENCRYPTED PRIVATE KEY";
            remaining = remaining[fields.Location.End..];
        }

        throw new KeyConfigurationException(sawEncrypted
            ? $"{settingName} holds an encrypted private key; provide an unencrypted PKCS#1 or PKCS#8 PEM."
            : requirePrivate
                ? $"{settingName} holds no readable RSA key PEM block (expected BEGIN RSA PRIVATE KEY or BEGIN PRIVATE KEY)."
                : $"{settingName} holds no readable RSA key PEM block (expected BEGIN PUBLIC KEY).");
    }
}
