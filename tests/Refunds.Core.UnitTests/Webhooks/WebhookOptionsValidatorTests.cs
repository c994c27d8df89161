using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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

    [Theory]
    [InlineData(true, false)]
    [InlineData(null, false)]
    [InlineData(false, true)]
    public void Unsigned_test_events_are_allowed_only_with_a_test_secret_key(bool? keyIsLive, bool valid)
    {
        var options = new WebhookOptions
        {
            WebhookPublicKeys = [VectorFiles.Text("webhook2_pingpp_public_key.pem")],
            AllowUnsignedTestEvents = true,
            ExpectedLivemode = keyIsLive,
        };

        var result = new WebhookOptionsValidator().Validate(null, options);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Pingpp__AllowUnsignedTestEvents must be false unless Pingpp__ApiKey is a test key", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("app_1Gqj58ynP0mHeX1q", true)]
    [InlineData("", true)]
    [InlineData("1Gqj58ynP0mHeX1q", false)]
    [InlineData("app_ with space", false)]
    public void An_app_id_setting_must_look_like_a_ping_plus_plus_app_id(string appId, bool valid)
    {
        var options = new WebhookOptions { WebhookPublicKeys = [VectorFiles.Text("webhook2_pingpp_public_key.pem")], AppId = appId };

        var result = new WebhookOptionsValidator().Validate(null, options);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Pingpp__AppId must be a Ping++ app id", result.FailureMessage, StringComparison.Ordinal);
        }
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

public class WebhookOptionsRegistrationTests
{
    [Theory]
    [InlineData("sk_live_not_a_key", true)]
    [InlineData("sk_test_registration0001", false)]
    public void The_expected_mode_comes_from_the_secret_key_and_a_live_key_refuses_unsigned_events_at_start(string apiKey, bool live)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pingpp:ApiKey"] = apiKey,
            ["Pingpp:WebhookPublicKeys:0"] = VectorFiles.Text("webhook2_pingpp_public_key.pem"),
            ["Pingpp:AllowUnsignedTestEvents"] = "true",
            ["Pingpp:ExpectedLivemode"] = live ? "false" : "true", // a setting cannot override what the key says
        }).Build();
        using var provider = new ServiceCollection().AddPingppWebhooks(configuration).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<WebhookOptions>>();

        if (live)
        {
            var error = Assert.Throws<OptionsValidationException>(() => options.Value);
            Assert.Contains("Pingpp__AllowUnsignedTestEvents", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(apiKey, error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.False(options.Value.ExpectedLivemode);
        }
    }
}
