using System.Text;
using Refunds.Core.Pingpp;
using Refunds.Core.Signing;

namespace Refunds.Core.UnitTests.Signing;

public class RequestSignatureVectorTests
{
    private const string OrderId = "2011609290000001291";
    private const long Timestamp = 1496728534;

    [Fact]
    public void Post_string_to_sign_is_body_then_path_then_timestamp_byte_for_byte()
    {
        var body = Encoding.UTF8.GetBytes("""{"description":"Refund Reason","refund_mode":"to_source"}""");
        var uri = new Uri($"https://api.pingxx.com/v1/orders/{OrderId}/order_refunds");

        var stringToSign = PingppRequestSignature.BuildStringToSign(body, uri, Timestamp);

        Assert.Equal(VectorFiles.Bytes("reqsign_post_string_to_sign.txt"), stringToSign);
    }

    [Fact]
    public void Get_string_to_sign_has_no_body_and_keeps_the_query()
    {
        var uri = new Uri($"https://api.pingxx.com/v1/orders/{OrderId}/order_refunds?page=1&per_page=10");

        var stringToSign = PingppRequestSignature.BuildStringToSign([], uri, Timestamp);

        Assert.Equal(VectorFiles.Bytes("reqsign_get_string_to_sign.txt"), stringToSign);
    }

    [Fact]
    public void A_uri_without_query_is_signed_without_a_question_mark()
    {
        var stringToSign = PingppRequestSignature.BuildStringToSign([], new Uri("https://api.pingxx.com/v1/orders/1"), 5);

        Assert.Equal("/v1/orders/15", Encoding.ASCII.GetString(stringToSign));
    }

    [Theory]
    [InlineData("reqsign_post")]
    [InlineData("reqsign_get")]
    public async Task Pkcs1_pem_signer_reproduces_the_vector_signature(string vector)
    {
        using var signer = PemRequestSigner.FromPem(TestKeys.MerchantPkcs1Path);

        var signature = await signer.SignAsync(VectorFiles.Bytes($"{vector}_string_to_sign.txt"), CancellationToken.None);

        Assert.Equal(VectorFiles.Text($"{vector}_signature.b64").Trim(), Convert.ToBase64String(signature));
    }

    [Theory]
    [InlineData("reqsign_post")]
    [InlineData("reqsign_get")]
    public async Task Pkcs8_pem_signer_gives_the_identical_signature(string vector)
    {
        using var signer = PemRequestSigner.FromPem(TestKeys.MerchantPkcs8Pem);

        var signature = await signer.SignAsync(VectorFiles.Bytes($"{vector}_string_to_sign.txt"), CancellationToken.None);

        Assert.Equal(VectorFiles.Text($"{vector}_signature.b64").Trim(), Convert.ToBase64String(signature));
    }

    [Fact]
    public void Pkcs1_and_pkcs8_signers_report_the_same_fingerprint()
    {
        using var a = PemRequestSigner.FromPem(TestKeys.MerchantPkcs1Pem);
        using var b = PemRequestSigner.FromPem(TestKeys.MerchantPkcs8Pem);

        Assert.Equal(a.KeyDescription, b.KeyDescription);
        Assert.StartsWith("pem:sha256:", a.KeyDescription);
        Assert.DoesNotContain("MII", a.KeyDescription);
    }
}
