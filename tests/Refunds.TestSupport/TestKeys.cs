using System.Security.Cryptography;
using Refunds.Core.Signing;

namespace Refunds.TestSupport;

/// <summary>The Ping++ sample merchant key pair from the vectors.</summary>
public static class TestKeys
{
    public const string PrivateKeySetting = "Pingpp__SigningPrivateKey";

    public static string MerchantPkcs1Path => VectorFiles.PathOf("merchant_sample_rsa_private_key_pkcs1.pem");

    public static string MerchantPkcs1Pem => VectorFiles.Text("merchant_sample_rsa_private_key_pkcs1.pem");

    public static string MerchantPkcs8Pem =>
        "-----BEGIN PRIVATE KEY-----\n" + VectorFiles.Text("merchant_sample_rsa_private_key_pkcs8_bare_base64.txt").Trim() + "\n-----END PRIVATE KEY-----\n";

    public static string MerchantPublicPem => VectorFiles.Text("merchant_sample_rsa_public_key.pem");

    public static RSA MerchantPublic() => PemKey.LoadRsa(MerchantPublicPem, "test", requirePrivate: false);

    public static bool VerifiesWithMerchantKey(byte[] data, byte[] signature)
    {
        using var rsa = MerchantPublic();
        return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
