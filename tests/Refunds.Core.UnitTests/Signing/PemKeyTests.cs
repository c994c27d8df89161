using System.Security.Cryptography;
using System.Text;
using Refunds.Core.Signing;

namespace Refunds.Core.UnitTests.Signing;

public class PemKeyTests
{
    private const string Setting = TestKeys.PrivateKeySetting;
    private const string PublicSetting = "Pingpp__WebhookPublicKeys__0";

    /// <summary>The loaded key is the one that verifies the official vector 1 (not merely "some RSA key").</summary>
    private static void AssertVerifiesVector1(RSA key)
    {
        using (key)
        {
            Assert.True(key.VerifyData(
                VectorFiles.Bytes("webhook1_body.json"),
                Convert.FromBase64String(VectorFiles.Text("webhook1_signature.b64")),
                HashAlgorithmName.SHA256,
                RSASignaturePadding.Pkcs1));
        }
    }

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

    [Fact]
    public void Ping_public_key_pem_text_loads() =>
        AssertVerifiesVector1(PemKey.LoadRsa(VectorFiles.Text("webhook1_pingpp_public_key.pem"), PublicSetting, requirePrivate: false));

    [Fact]
    public void Ping_public_key_text_with_a_BOM_kept_in_the_string_loads()
    {
        var withBom = Encoding.UTF8.GetString(VectorFiles.Bytes("webhook1_pingpp_public_key_csharp_with_bom.pem"));
        Assert.StartsWith("\uFEFF", withBom);
        AssertVerifiesVector1(PemKey.LoadRsa(withBom, PublicSetting, requirePrivate: false));
    }

    [Fact]
    public void Ping_public_key_on_one_line_with_escaped_newlines_loads()
    {
        var escaped = VectorFiles.Text("webhook1_pingpp_public_key.pem").Replace("\r", "").Replace("\n", "\\n");
        Assert.DoesNotContain("\n", escaped);
        AssertVerifiesVector1(PemKey.LoadRsa(escaped, PublicSetting, requirePrivate: false));
    }

    [Fact]
    public void Ping_public_key_as_one_line_of_base64_loads()
    {
        // `base64 -w0 pingpp_public.pem`: the form docs/deploy.md passes through azd (Infra tests run the command itself).
        var encoded = Convert.ToBase64String(VectorFiles.Bytes("webhook1_pingpp_public_key.pem"));

        AssertVerifiesVector1(PemKey.LoadRsa(encoded, PublicSetting, requirePrivate: false));
        AssertVerifiesVector1(PemKey.LoadRsa(encoded.Insert(64, "\n"), PublicSetting, requirePrivate: false));
    }

    [Fact]
    public void Cut_base64_of_a_pem_fails_naming_the_setting()
    {
        var encoded = Convert.ToBase64String(VectorFiles.Bytes("webhook1_pingpp_public_key.pem"));

        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(encoded[..^3], PublicSetting, requirePrivate: false));

        Assert.StartsWith(PublicSetting, ex.Message);
        Assert.Contains("base64", ex.Message);
    }

    [Fact]
    public void Ping_public_key_path_to_the_BOM_file_loads() =>
        AssertVerifiesVector1(PemKey.LoadRsa(VectorFiles.PathOf("webhook1_pingpp_public_key_csharp_with_bom.pem"), PublicSetting, requirePrivate: false));

    [Theory]
    [InlineData("webhook2_pingpp_public_key.pem")]
    [InlineData("webhook3_pingpp_public_key.pem")]
    public void Every_official_ping_public_key_loads_as_a_public_key(string file)
    {
        using var rsa = PemKey.LoadRsa(VectorFiles.Text(file), PublicSetting, requirePrivate: false);
        Assert.InRange(rsa.KeySize, PemKey.MinKeyBits, PemKey.MaxKeyBits);
    }

    [Theory]
    [InlineData(null, "is empty")]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData("hello world", "neither PEM text")]
    [InlineData("/no/such/file.pem", "neither PEM text")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "not a valid RSA key")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", "expected BEGIN PUBLIC KEY")]
    public void Garbage_in_a_public_key_setting_fails_naming_the_setting(string? value, string reason)
    {
        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(value, PublicSetting, requirePrivate: false));

        Assert.StartsWith(PublicSetting, ex.Message);
        Assert.Contains(reason, ex.Message);
    }

    [Fact]
    public void An_ec_public_key_is_refused_where_an_rsa_public_key_is_required()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(ec.ExportSubjectPublicKeyInfoPem(), PublicSetting, requirePrivate: false));

        Assert.Contains("not a valid RSA key", ex.Message);
    }

    public static TheoryData<int, bool> OutOfRangeKeySizes() => new()
    {
        { 1024, false },
        { 1024, true },
        { 8192, false },
    };

    [Theory]
    [MemberData(nameof(OutOfRangeKeySizes))]
    public void Keys_outside_2048_to_4096_bits_are_refused_public_and_private_alike(int bits, bool isPrivate)
    {
        using var rsa = RSA.Create(bits);
        var pem = isPrivate ? rsa.ExportPkcs8PrivateKeyPem() : rsa.ExportSubjectPublicKeyInfoPem();

        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(pem, PublicSetting, requirePrivate: isPrivate));

        Assert.StartsWith(PublicSetting, ex.Message);
        Assert.Contains($"{bits}-bit", ex.Message);
    }

    [Theory]
    [InlineData(2048, false)]
    [InlineData(4096, false)]
    [InlineData(4096, true)]
    public void Keys_of_2048_and_4096_bits_load(int bits, bool isPrivate)
    {
        using var generated = RSA.Create(bits);
        var pem = isPrivate ? generated.ExportRSAPrivateKeyPem() : generated.ExportSubjectPublicKeyInfoPem();

        using var rsa = PemKey.LoadRsa(pem, PublicSetting, requirePrivate: isPrivate);

        Assert.Equal(PemKey.Fingerprint(generated), PemKey.Fingerprint(rsa));
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

    [Theory]
    [InlineData("pkcs1")]
    [InlineData("pkcs8")]
    public void A_private_key_is_refused_where_a_public_key_is_required_and_called_exposed(string format)
    {
        var pem = format == "pkcs1" ? TestKeys.MerchantPkcs1Pem : TestKeys.MerchantPkcs8Pem;

        var ex = Assert.Throws<KeyConfigurationException>(() => PemKey.LoadRsa(pem, PublicSetting, requirePrivate: false));

        Assert.StartsWith(PublicSetting, ex.Message);
        Assert.Contains("private key", ex.Message);
        Assert.Contains("Treat that private key as exposed", ex.Message);
        Assert.DoesNotContain(pem.Split('\n')[1][..20], ex.ToString());
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
