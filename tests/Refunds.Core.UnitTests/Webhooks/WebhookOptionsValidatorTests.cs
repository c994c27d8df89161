using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Webhooks;

public class WebhookOptionsValidatorTests
{
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

    [Fact]
    public void A_private_key_in_a_webhook_key_setting_fails_startup_saying_it_is_exposed()
    {
        using var signer = new TestSigner();
        var result = new WebhookOptionsValidator().Validate(null, new WebhookOptions { WebhookPublicKeys = [signer.PrivateKeyPem] });

        Assert.True(result.Failed);
        Assert.Contains("Pingpp__WebhookPublicKeys__0", result.FailureMessage);
        Assert.Contains("Treat that private key as exposed", result.FailureMessage);
        Assert.DoesNotContain(signer.PrivateKeyPem.Split('\n')[1][..20], result.FailureMessage);
    }

    [Fact]
    public void Verifier_from_options_refuses_a_bad_key_naming_its_setting()
    {
        var options = new WebhookOptions { WebhookPublicKeys = [VectorFiles.Text("webhook1_pingpp_public_key.pem"), "junk"] };

        var error = Assert.Throws<global::Refunds.Core.Signing.KeyConfigurationException>(() => WebhookSignatureVerifier.FromOptions(options));

        Assert.StartsWith("Pingpp__WebhookPublicKeys__1", error.Message);
    }
}
