using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refunds.Core.Pingpp;
using Refunds.Core.Signing;

namespace Refunds.Core.UnitTests.Pingpp;

public class PingppClientOptionsValidatorTests
{
    private const string KeyId = "https://refunds-kv.vault.azure.net/keys/pingpp-signing/0123456789abcdef";

    private static PingppClientOptions Valid(Action<PingppClientOptions>? change = null)
    {
        var options = new PingppClientOptions { ApiKey = "sk_test_abc", SigningPrivateKey = TestKeys.MerchantPkcs1Path };
        change?.Invoke(options);
        return options;
    }

    private static string Failure(PingppClientOptions options)
    {
        var result = new PingppClientOptionsValidator().Validate(null, options);
        Assert.True(result.Failed);
        return result.FailureMessage;
    }

    [Fact]
    public void A_complete_pem_configuration_is_valid()
        => Assert.True(new PingppClientOptionsValidator().Validate(null, Valid()).Succeeded);

    [Fact]
    public void A_complete_key_vault_configuration_is_valid()
        => Assert.True(new PingppClientOptionsValidator().Validate(null, Valid(o => { o.SigningPrivateKey = null; o.SigningKeyId = KeyId; })).Succeeded);

    [Fact]
    public void A_missing_api_key_names_the_setting()
        => Assert.Contains("Pingpp__ApiKey is required", Failure(Valid(o => { o.ApiKey = " "; })));

    [Theory]
    [InlineData("sk_live_abc", "http://api.pingxx.com", false)]
    [InlineData("rk_live_abc", "http://127.0.0.1:7080", false)]
    [InlineData("sk_live_abc", "https://api.pingxx.com", true)]
    [InlineData("sk_test_abc", "http://127.0.0.1:7080", true)]
    [InlineData("rk_test_abc", "http://127.0.0.1:7080", true)]
    public void Plain_http_is_accepted_only_with_a_test_key(string apiKey, string apiBase, bool valid)
    {
        var result = new PingppClientOptionsValidator().Validate(null, Valid(o => { o.ApiKey = apiKey; o.ApiBase = apiBase; }));

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Pingpp__ApiBase must use https unless Pingpp__ApiKey is a test key", result.FailureMessage, StringComparison.Ordinal);
            Assert.DoesNotContain(apiKey, result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("pk_test_abc")]
    [InlineData("sk_abc")]
    [InlineData("abcdefghijkl")]
    public void A_key_of_unknown_mode_names_the_setting_and_the_prefixes(string apiKey)
        => Assert.Contains("must be a Ping++ secret key starting with sk_live_ or sk_test_", Failure(Valid(o => { o.ApiKey = apiKey; o.ApiBase = "https://api.pingxx.com"; })));

    [Theory]
    [InlineData("api.pingxx.com")]
    [InlineData("ftp://api.pingxx.com")]
    [InlineData("https://api.pingxx.com/v1")]
    [InlineData("https://api.pingxx.com/?x=1")]
    public void A_malformed_api_base_names_the_setting(string apiBase)
        => Assert.Contains("Pingpp__ApiBase", Failure(Valid(o => { o.ApiBase = apiBase; })));

    [Fact]
    public void Both_signing_settings_are_refused()
    {
        var message = Failure(Valid(o => { o.SigningKeyId = KeyId; }));

        Assert.Contains("exactly one of Pingpp__SigningKeyId", message);
        Assert.Contains("Pingpp__SigningPrivateKey", message);
    }

    [Fact]
    public void Neither_signing_setting_is_refused()
        => Assert.Contains("Pingpp__SigningKeyId (Key Vault, production) or Pingpp__SigningPrivateKey", Failure(Valid(o => { o.SigningPrivateKey = null; })));

    [Fact]
    public void A_bad_pem_names_the_setting_without_echoing_it()
    {
        var message = Failure(Valid(o => { o.SigningPrivateKey = "MIIEsecretlookingvalue"; }));

        Assert.Contains("Pingpp__SigningPrivateKey", message);
        Assert.DoesNotContain("MIIEsecretlookingvalue", message);
    }

    [Fact]
    public void A_public_key_as_signing_key_is_refused()
        => Assert.Contains("Pingpp__SigningPrivateKey holds a public key", Failure(Valid(o => { o.SigningPrivateKey = TestKeys.MerchantPublicPem; })));

    [Fact]
    public void An_unversioned_key_id_names_the_setting()
        => Assert.Contains("Pingpp__SigningKeyId must be a versioned key id",
            Failure(Valid(o => { o.SigningPrivateKey = null; o.SigningKeyId = "https://refunds-kv.vault.azure.net/keys/pingpp-signing"; })));

    [Theory]
    [InlineData(0, 3, "Pingpp__RequestTimeout")]
    [InlineData(30, -1, "Pingpp__MaxReadRetries")]
    [InlineData(30, 11, "Pingpp__MaxReadRetries")]
    public void Out_of_range_numbers_name_the_setting(int timeoutSeconds, int retries, string setting)
        => Assert.Contains(setting, Failure(Valid(o => { o.RequestTimeout = TimeSpan.FromSeconds(timeoutSeconds); o.MaxReadRetries = retries; })));

    [Fact]
    public void Startup_fails_naming_the_setting_when_configuration_lacks_the_api_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pingpp:SigningPrivateKey"] = TestKeys.MerchantPkcs1Path,
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddPingppClient(configuration).BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PingppClientOptions>>().Value);

        Assert.Contains("Pingpp__ApiKey is required", ex.Message);
    }

    [Fact]
    public void Settings_bind_from_the_pingpp_section_and_pick_the_pem_signer()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pingpp:ApiBase"] = "http://127.0.0.1:5099",
            ["Pingpp:ApiKey"] = "sk_test_abc",
            ["Pingpp:SigningPrivateKey"] = TestKeys.MerchantPkcs1Pem.Replace("\n", "\\n"),
            ["Pingpp:RequestTimeout"] = "00:00:12",
            ["Pingpp:MaxReadRetries"] = "5",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddPingppClient(configuration).BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<PingppClientOptions>>().Value;
        Assert.Equal(TimeSpan.FromSeconds(12), options.RequestTimeout);
        Assert.Equal(5, options.MaxReadRetries);
        Assert.IsType<PemRequestSigner>(provider.GetRequiredService<IRequestSigner>());
        Assert.NotNull(provider.GetRequiredService<PingppClient>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void A_key_id_selects_the_key_vault_signer()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pingpp:ApiKey"] = "sk_test_abc",
            ["Pingpp:SigningKeyId"] = KeyId,
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<Azure.Core.TokenCredential>(new Signing.CountingCredential());
        using var provider = services.AddPingppClient(configuration).BuildServiceProvider();

        var signer = Assert.IsType<KeyVaultRequestSigner>(provider.GetRequiredService<IRequestSigner>());
        Assert.Equal("keyvault:" + KeyId, signer.KeyDescription);
    }
}
