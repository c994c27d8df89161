using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Pingpp.Simulator.Tests;

/// <summary>Signs requests as a merchant does: RSA-SHA256 PKCS#1 over body + path-and-query + timestamp.</summary>
internal sealed class MerchantSigner(RSA key) : IDisposable
{
    public static MerchantSigner Sample()
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(VectorFiles.Text("merchant_sample_rsa_private_key_pkcs1.pem"));
        return new MerchantSigner(rsa);
    }

    public static MerchantSigner Random() => new(RSA.Create(2048));

    public string Sign(string body, string pathAndQuery, string timestamp) =>
        Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(body + pathAndQuery + timestamp), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public static string Now(TimeSpan offset = default) =>
        (DateTimeOffset.UtcNow + offset).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    public void Dispose() => key.Dispose();
}
