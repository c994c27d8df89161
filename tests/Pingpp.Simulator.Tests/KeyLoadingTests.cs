using System.Security.Cryptography;
using Pingpp.Simulator.Keys;

namespace Pingpp.Simulator.Tests;

public sealed class KeyLoadingTests
{
    private static readonly byte[] Data = "data"u8.ToArray();

    [Fact]
    public void Public_key_loads_from_a_path_a_bom_file_and_an_escaped_single_line()
    {
        var pem = VectorFiles.Text("webhook1_pingpp_public_key.pem");
        using var fromPath = PemKeys.LoadPublic(VectorFiles.PathOf("webhook1_pingpp_public_key.pem"), "X");
        using var fromBomPath = PemKeys.LoadPublic(VectorFiles.PathOf("webhook1_pingpp_public_key_csharp_with_bom.pem"), "X");
        using var fromBomText = PemKeys.LoadPublic("\uFEFF" + pem, "X");
        using var fromEscaped = PemKeys.LoadPublic(pem.Replace("\r\n", "\\n").Replace("\n", "\\n"), "X");

        var expected = fromPath.ExportSubjectPublicKeyInfo();
        Assert.Equal(expected, fromBomPath.ExportSubjectPublicKeyInfo());
        Assert.Equal(expected, fromBomText.ExportSubjectPublicKeyInfo());
        Assert.Equal(expected, fromEscaped.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Private_key_loads_as_pkcs1_pem_and_as_bare_pkcs8_base64_and_matches_the_sample_public_key()
    {
        using var pkcs1 = PemKeys.LoadPrivate(VectorFiles.PathOf("merchant_sample_rsa_private_key_pkcs1.pem"), "X");
        using var pkcs8 = PemKeys.LoadPrivate(VectorFiles.Text("merchant_sample_rsa_private_key_pkcs8_bare_base64.txt"), "X");
        using var pub = PemKeys.LoadPublic(VectorFiles.PathOf("merchant_sample_rsa_public_key.pem"), "X");

        Assert.True(pub.VerifyData(Data, pkcs1.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
        Assert.True(pub.VerifyData(Data, pkcs8.SignData(Data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    [Fact]
    public void A_private_key_given_as_the_merchant_public_key_is_refused_naming_the_setting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            PemKeys.LoadPublic(VectorFiles.PathOf("merchant_sample_rsa_private_key_pkcs1.pem"), "Simulator__MerchantPublicKey"));
        Assert.Contains("Simulator__MerchantPublicKey", ex.Message);
    }

    [Fact]
    public void Garbage_is_refused_naming_the_setting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => PemKeys.LoadPrivate("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----", "Simulator__PingppPrivateKey"));
        Assert.Contains("Simulator__PingppPrivateKey", ex.Message);
    }
}
