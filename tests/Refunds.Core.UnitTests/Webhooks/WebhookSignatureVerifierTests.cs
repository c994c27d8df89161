using System.Security.Cryptography;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

public class WebhookSignatureVerifierTests
{
    private static WebhookSignatureVerifier VerifierFor(params string[] keys)
        => WebhookSignatureVerifier.FromOptions(new WebhookOptions { WebhookPublicKeys = [.. keys] });

    private static (byte[] Body, string Signature) Vector(int n)
        => (VectorFiles.Bytes($"webhook{n}_body.json"), VectorFiles.Text($"webhook{n}_signature.b64"));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Official_vectors_verify_with_their_own_key(int n)
    {
        using var verifier = VerifierFor(VectorFiles.Text($"webhook{n}_pingpp_public_key.pem"));
        var (body, signature) = Vector(n);
        Assert.Equal(WebhookSignatureResult.Valid, verifier.Verify(body, signature));
    }

    [Fact]
    public void Vector1_verifies_with_the_key_file_that_starts_with_a_BOM()
    {
        using var verifier = VerifierFor(VectorFiles.PathOf("webhook1_pingpp_public_key_csharp_with_bom.pem"));
        var (body, signature) = Vector(1);
        Assert.Equal(WebhookSignatureResult.Valid, verifier.Verify(body, signature));
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 400)]
    [InlineData(2, 200)]
    [InlineData(3, 974)]
    public void Vector_with_one_byte_changed_fails(int n, int position)
    {
        using var verifier = VerifierFor(VectorFiles.Text($"webhook{n}_pingpp_public_key.pem"));
        var (body, signature) = Vector(n);
        body[position] ^= 0x01;
        Assert.Equal(WebhookSignatureResult.InvalidSignature, verifier.Verify(body, signature));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Vector_with_a_newline_appended_fails(int n)
    {
        using var verifier = VerifierFor(VectorFiles.Text($"webhook{n}_pingpp_public_key.pem"));
        var (body, signature) = Vector(n);
        Assert.Equal(WebhookSignatureResult.InvalidSignature, verifier.Verify([.. body, (byte)'\n'], signature));
    }

    [Theory]
    [InlineData("line breaks every 64")]
    [InlineData("spaces")]
    [InlineData("surrounding whitespace")]
    public void Vector_signature_with_whitespace_inside_still_verifies(string form)
    {
        // The plain-ASCII fast path declines these; the char decoder (which skips whitespace) must still take them.
        using var verifier = VerifierFor(VectorFiles.Text("webhook1_pingpp_public_key.pem"));
        var (body, signature) = Vector(1);
        var header = form switch
        {
            "line breaks every 64" => string.Join("\r\n", signature.Chunk(64).Select(c => new string(c))),
            "spaces" => string.Join(' ', signature.Chunk(100).Select(c => new string(c))),
            _ => " \t" + signature + "\r\n",
        };
        Assert.Equal(WebhookSignatureResult.Valid, verifier.Verify(body, header));
    }

    [Theory]
    [InlineData("é")]
    [InlineData("=")]
    [InlineData("A")]
    public void Vector_signature_with_a_foreign_character_appended_is_malformed(string suffix)
    {
        using var verifier = VerifierFor(VectorFiles.Text("webhook1_pingpp_public_key.pem"));
        var (body, signature) = Vector(1);
        Assert.Equal(WebhookSignatureResult.MalformedSignature, verifier.Verify(body, signature + suffix));
    }

    [Fact]
    public void Vector_does_not_verify_with_another_accounts_key()
    {
        using var verifier = VerifierFor(VectorFiles.Text("webhook3_pingpp_public_key.pem"));
        var (body, signature) = Vector(1);
        Assert.Equal(WebhookSignatureResult.InvalidSignature, verifier.Verify(body, signature));
    }

    [Theory]
    [InlineData(null, WebhookSignatureResult.MissingSignature)]
    [InlineData("", WebhookSignatureResult.MissingSignature)]
    [InlineData("   ", WebhookSignatureResult.MissingSignature)]
    [InlineData("not base64 !!!", WebhookSignatureResult.MalformedSignature)]
    [InlineData("AAAA====", WebhookSignatureResult.MalformedSignature)]
    [InlineData("AAAA", WebhookSignatureResult.InvalidSignature)]
    public void Header_problems_are_told_apart(string? header, WebhookSignatureResult expected)
    {
        using var verifier = VerifierFor(VectorFiles.Text("webhook1_pingpp_public_key.pem"));
        Assert.Equal(expected, verifier.Verify(VectorFiles.Bytes("webhook1_body.json"), header));
    }

    [Fact]
    public void Signature_longer_than_any_4096_bit_key_is_malformed()
    {
        using var verifier = VerifierFor(VectorFiles.Text("webhook1_pingpp_public_key.pem"));
        var header = Convert.ToBase64String(new byte[1024]);
        Assert.Equal(WebhookSignatureResult.MalformedSignature, verifier.Verify(VectorFiles.Bytes("webhook1_body.json"), header));
    }

    [Fact]
    public void Either_key_verifies_during_rotation_and_an_unconfigured_key_does_not()
    {
        using var oldKey = new TestSigner();
        using var newKey = new TestSigner(4096);
        using var stranger = new TestSigner();
        using var verifier = VerifierFor(oldKey.PublicKeyPem, newKey.PublicKeyPem);
        var body = TestSigner.Utf8("""{"id":"evt_1","object":"event"}""");

        Assert.Equal(WebhookSignatureResult.Valid, verifier.Verify(body, oldKey.Sign(body)));
        Assert.Equal(WebhookSignatureResult.Valid, verifier.Verify(body, newKey.Sign(body)));
        Assert.Equal(WebhookSignatureResult.InvalidSignature, verifier.Verify(body, stranger.Sign(body)));
        Assert.Equal(2, verifier.KeyFingerprints.Count);
    }

    [Fact]
    public void No_key_configured_is_a_startup_error_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => VerifierFor());
        Assert.Contains("Pingpp__WebhookPublicKeys__0", error.Message);
        Assert.Throws<InvalidOperationException>(() => new WebhookSignatureVerifier(Array.Empty<RSA>()));
    }
}
