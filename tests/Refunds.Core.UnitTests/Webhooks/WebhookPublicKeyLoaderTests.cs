using System.Security.Cryptography;
using System.Text;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

public class WebhookPublicKeyLoaderTests
{
    private const string Setting = "Pingpp__WebhookPublicKeys__0";

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

    [Fact]
    public void Pem_text_loads() => AssertVerifiesVector1(WebhookPublicKeyLoader.Load(Setting, VectorFiles.Text("webhook1_pingpp_public_key.pem")));

    [Fact]
    public void Pem_text_with_a_BOM_kept_in_the_string_loads()
    {
        var withBom = Encoding.UTF8.GetString(VectorFiles.Bytes("webhook1_pingpp_public_key_csharp_with_bom.pem"));
        Assert.StartsWith("\uFEFF", withBom);
        AssertVerifiesVector1(WebhookPublicKeyLoader.Load(Setting, withBom));
    }

    [Fact]
    public void Single_line_pem_with_escaped_newlines_loads()
    {
        var escaped = VectorFiles.Text("webhook1_pingpp_public_key.pem").Replace("\r", "").Replace("\n", "\\n");
        Assert.DoesNotContain("\n", escaped);
        AssertVerifiesVector1(WebhookPublicKeyLoader.Load(Setting, escaped));
    }

    [Fact]
    public void Path_to_a_pem_file_with_a_BOM_loads()
        => AssertVerifiesVector1(WebhookPublicKeyLoader.Load(Setting, VectorFiles.PathOf("webhook1_pingpp_public_key_csharp_with_bom.pem")));

    [Theory]
    [InlineData("merchant_sample_rsa_private_key_pkcs1.pem")]
    public void Private_key_is_rejected_naming_the_setting_without_echoing_the_key(string file)
    {
        var pem = VectorFiles.Text(file);
        var error = Assert.Throws<InvalidOperationException>(() => WebhookPublicKeyLoader.Load(Setting, pem));
        Assert.Contains(Setting, error.Message);
        Assert.Contains("private key", error.Message);
        Assert.DoesNotContain(pem.Split('\n')[1][..20], error.Message);
    }

    [Fact]
    public void Pkcs8_private_key_is_rejected()
    {
        using var signer = new TestSigner();
        var error = Assert.Throws<InvalidOperationException>(() => WebhookPublicKeyLoader.Load(Setting, signer.PrivateKeyPem));
        Assert.Contains("private key", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("hello world")]
    [InlineData("/no/such/file.pem")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")]
    public void Garbage_is_rejected_naming_the_setting(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => WebhookPublicKeyLoader.Load(Setting, value));
        Assert.Contains(Setting, error.Message);
    }

    [Fact]
    public void Key_shorter_than_2048_bits_is_rejected()
    {
        using var weak = RSA.Create(1024);
        var error = Assert.Throws<InvalidOperationException>(() => WebhookPublicKeyLoader.Load(Setting, weak.ExportSubjectPublicKeyInfoPem()));
        Assert.Contains("1024", error.Message);
    }

    [Fact]
    public void Options_validation_names_every_bad_setting()
    {
        var validator = new WebhookOptionsValidator();
        var none = validator.Validate(null, new WebhookOptions());
        Assert.True(none.Failed);
        Assert.Contains("Pingpp__WebhookPublicKeys__0", none.FailureMessage);

        var secondBad = validator.Validate(null, new WebhookOptions { WebhookPublicKeys = [VectorFiles.Text("webhook1_pingpp_public_key.pem"), "junk"] });
        Assert.True(secondBad.Failed);
        Assert.Contains("Pingpp__WebhookPublicKeys__1", secondBad.FailureMessage);
        Assert.DoesNotContain("__0", secondBad.FailureMessage);

        Assert.True(validator.Validate(null, new WebhookOptions { WebhookPublicKeys = [VectorFiles.Text("webhook2_pingpp_public_key.pem")] }).Succeeded);
    }
}
