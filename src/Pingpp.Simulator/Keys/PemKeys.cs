using System.Security.Cryptography;
using System.Text;

namespace Pingpp.Simulator.Keys;

/// <summary>Loads RSA keys the way merchants store them: PEM text or a file path, PKCS#1 or PKCS#8/SPKI,
/// with a BOM, with <c>\n</c> escaped into one line (app settings), or as bare base64 DER.</summary>
public static class PemKeys
{
    public static RSA LoadPublic(string textOrPath, string settingName)
    {
        var text = ReadText(textOrPath, settingName);
        if (text.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{settingName} must be a public key, not a private key");
        }
        return Import(text, settingName, rsa =>
        {
            var der = Convert.FromBase64String(text);
            try { rsa.ImportSubjectPublicKeyInfo(der, out _); }
            catch (CryptographicException) { rsa.ImportRSAPublicKey(der, out _); }
        });
    }

    public static RSA LoadPrivate(string textOrPath, string settingName)
    {
        var text = ReadText(textOrPath, settingName);
        return Import(text, settingName, rsa =>
        {
            var der = Convert.FromBase64String(text);
            try { rsa.ImportPkcs8PrivateKey(der, out _); }
            catch (CryptographicException) { rsa.ImportRSAPrivateKey(der, out _); }
        });
    }

    /// <summary>SPKI PEM of the public half: what Ping++ shows as "Ping++ 公钥".</summary>
    public static string ExportPublicPem(RSA rsa) => rsa.ExportSubjectPublicKeyInfoPem() + "\n";

    /// <summary>A short, non-secret identifier to log instead of the key.</summary>
    public static string Fingerprint(RSA rsa) =>
        Convert.ToHexStringLower(SHA256.HashData(rsa.ExportSubjectPublicKeyInfo()))[..16];

    private static string ReadText(string textOrPath, string settingName)
    {
        var value = textOrPath.Trim().TrimStart('\uFEFF');
        if (!value.Contains("-----BEGIN", StringComparison.Ordinal) && !LooksLikeBase64(value))
        {
            if (!File.Exists(value))
            {
                throw new InvalidOperationException($"{settingName} is neither a PEM nor an existing file path");
            }
            value = File.ReadAllText(value, Encoding.UTF8);
        }
        return value.TrimStart('\uFEFF').Replace("\\r", "", StringComparison.Ordinal).Replace("\\n", "\n", StringComparison.Ordinal).Trim();
    }

    private static bool LooksLikeBase64(string value) =>
        value.Length > 100 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=' or '\n' or '\r');

    private static RSA Import(string text, string settingName, Action<RSA> importBareDer)
    {
        var rsa = RSA.Create();
        try
        {
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                rsa.ImportFromPem(text);
            }
            else
            {
                importBareDer(rsa);
            }
            return rsa;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or ArgumentException)
        {
            rsa.Dispose();
            throw new InvalidOperationException($"{settingName} is not a readable RSA key", ex);
        }
    }
}
