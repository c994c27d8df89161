using System.Security.Cryptography;
using System.Text;
using Refunds.Core.Signing;

namespace Refunds.Core.UnitTests.Signing;

public class PemKeyTests
{
    private const string Setting = TestKeys.PrivateKeySetting;

    public static TheoryData<string, string> PrivateKeyVariants()
    {
        var pkcs1 = TestKeys.MerchantPkcs1Pem;
        var pkcs8 = TestKeys.MerchantPkcs8Pem;
        return new TheoryData<string, string>
        {
            { "pkcs1", pkcs1 },
            { "pkcs8", pkcs8 },
            { "bom", "\uFEFF" + pkcs1 },
            { "escaped newlines", pkcs1.Replace("\r\n", "\n").TrimEnd('\n').Replace("\n", "\\n") },
            { "escaped newlines pkcs8", pkcs8.TrimEnd('\n').Replace("\n", "\\n") },
            { "crlf", pkcs1.Replace("\r\n", "\n").Replace("\n", "\r\n") },
            { "surrounding whitespace", "  \n" + pkcs8 + "\n\n " },
        };
    }

    [Theory]
    [MemberData(nameof(PrivateKeyVariants))]
    public void Private_key_variants_load_as_the_same_key(string variant, string text)
    {
        using var rsa = PemKey.LoadRsa(text, Setting, requirePrivate: true);
        using var expected = TestKeys.MerchantPublic();

        Assert.True(rsa.KeySize == 2048, variant);
        Assert.Equal(expected.ExportParameters(false).Modulus, rsa.ExportParameters(false).Modulus);
    }

    [Fact]
    public void A_path_to_a_pem_file_loads_the_key()
    {
        using var rsa = PemKey.LoadRsa(TestKeys.MerchantPkcs1Path, Setting, requirePrivate: true);

        Assert.Equal(PemKey.Fingerprint(TestKeys.MerchantPublic()), PemKey.Fingerprint(rsa));
    }

    [Fact]
    public void A_pem_file_that_starts_with_a_bom_loads()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pem-bom-{Guid.NewGuid():N}.pem");
        File.WriteAllBytes(path, [.. Encoding.UTF8.GetPreamble(), .. Encoding.ASCII.GetBytes(TestKeys.MerchantPkcs8Pem)]);
        try
        {
            using var rsa = PemKey.LoadRsa(path, Setting, requirePrivate: true);
            Assert.Equal(PemKey.Fingerprint(TestKeys.MerchantPublic()), PemKey.Fingerprint(rsa));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_csharp_sdk_public_key_with_bom_loads_as_a_public_key()
    {
        using var rsa = PemKey.LoadRsa(VectorFiles.PathOf("webhook1_pingpp_public_key_csharp_with_bom.pem"), "Pingpp__WebhookPublicKeys__0", requirePrivate: false);
        using var plain = PemKey.LoadRsa(VectorFiles.Text("webhook1_pingpp_public_key.pem"), "Pingpp__WebhookPublicKeys__0", requirePrivate: false);

        Assert.Equal(PemKey.Fingerprint(plain), PemKey.Fingerprint(rsa));
    }

    [Theory]
    [InlineData(null, "is empty")]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("not a key at all", "neither PEM text")]
    [InlineData("/no/such/file.pem", "neither PEM text")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "no readable RSA key")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nAAAABBBBCCCC\n-----END RSA PRIVATE KEY-----", "not a valid RSA key")]
    [InlineData("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----", "encrypted")]
    public void Unusable_values_fail_with_a_message_naming_the_setting(string? value, string reason)
    {
        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(value, Setting, requirePrivate: true));

        Assert.StartsWith(Setting, ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void A_public_key_is_refused_where_a_private_key_is_required()
    {
        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(TestKeys.MerchantPublicPem, Setting, requirePrivate: true));

        Assert.Contains(Setting, ex.Message);
        Assert.Contains("public key", ex.Message);
    }

    [Fact]
    public void A_private_key_is_refused_where_a_public_key_is_required()
    {
        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(TestKeys.MerchantPkcs1Pem, "Pingpp__WebhookPublicKeys__0", requirePrivate: false));

        Assert.Contains("Pingpp__WebhookPublicKeys__0", ex.Message);
        Assert.Contains("private key", ex.Message);
    }

    [Fact]
    public void Error_messages_never_echo_key_material()
    {
        // A damaged key: valid PEM framing, truncated base64 body.
        var pem = TestKeys.MerchantPkcs1Pem;
        var body = pem.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1];
        var damaged = "-----BEGIN RSA PRIVATE KEY-----\n" + body + "\n-----END RSA PRIVATE KEY-----";

        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(damaged, Setting, requirePrivate: true));

        Assert.DoesNotContain(body[..20], ex.ToString());
    }

    [Fact]
    public void An_ec_private_key_is_refused()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = ec.ExportPkcs8PrivateKeyPem();

        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(pem, Setting, requirePrivate: true));

        Assert.Contains("not a valid RSA key", ex.Message);
    }
}
