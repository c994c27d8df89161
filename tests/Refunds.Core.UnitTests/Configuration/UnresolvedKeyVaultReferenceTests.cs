using Microsoft.Extensions.Configuration;
using Refunds.Core.Configuration;
using Refunds.Core.Pingpp;
using Refunds.Core.Webhooks;

namespace Refunds.Core.UnitTests.Configuration;

public class UnresolvedKeyVaultReferenceTests
{
    private const string ApiKeyReference = "@Microsoft.KeyVault(SecretUri=https://kv-abc123.vault.azure.net/secrets/pingpp-api-key)";

    [Theory]
    [InlineData(ApiKeyReference, "kv-abc123", "pingpp-api-key")]
    [InlineData("@Microsoft.KeyVault(SecretUri=https://kv-cn.vault.azure.cn/secrets/pingpp-api-key/0123456789abcdef)", "kv-cn", "pingpp-api-key")]
    [InlineData("@Microsoft.KeyVault(VaultName=kv-x;SecretName=api;SecretVersion=1)", "kv-x", "api")]
    [InlineData("  @microsoft.keyvault(VaultName=kv-y; SecretName=other)", "kv-y", "other")]
    [InlineData("@Microsoft.KeyVault(garbage", null, null)]
    public void Both_documented_reference_forms_name_vault_and_secret(string value, string? vault, string? secret)
    {
        var reference = UnresolvedKeyVaultReference.Parse(SettingNames.PingppApiKey, value);

        Assert.True(UnresolvedKeyVaultReference.IsReference(value));
        Assert.Equal(vault, reference.VaultName);
        Assert.Equal(secret, reference.SecretName);
    }

    [Fact]
    public void Message_names_the_setting_the_secret_the_role_and_the_restart()
    {
        var message = UnresolvedKeyVaultReference.Parse(SettingNames.PingppApiKey, ApiKeyReference).Message;

        Assert.StartsWith("Pingpp__ApiKey ", message, StringComparison.Ordinal);
        Assert.Contains("'pingpp-api-key' in vault 'kv-abc123'", message, StringComparison.Ordinal);
        Assert.Contains("'Key Vault Secrets User'", message, StringComparison.Ordinal);
        Assert.Contains("PINGPP_API_KEY_SECRET_EXISTS", message, StringComparison.Ordinal);
        Assert.Contains("restart", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_configuration_value_that_is_still_a_reference_is_found_by_app_setting_name()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pingpp:ApiKey"] = ApiKeyReference,
            ["Pingpp:WebhookPublicKeys:0"] = "@Microsoft.KeyVault(VaultName=kv;SecretName=pingpp-public)",
            ["Pingpp:ApiBase"] = "https://api.pingxx.com",
            ["Other"] = "Microsoft.KeyVault( is fine in the middle @Microsoft.KeyVault(",
        }).Build();

        var found = UnresolvedKeyVaultReference.FindIn(configuration);

        Assert.Equal(["Pingpp__ApiKey", "Pingpp__WebhookPublicKeys__0"], found.Select(r => r.SettingName));
    }

    [Fact]
    public void Ping_client_options_refuse_an_api_key_that_is_still_a_reference()
    {
        var options = new PingppClientOptions { ApiKey = ApiKeyReference, SigningPrivateKey = TestKeys.MerchantPkcs1Path };

        var result = new PingppClientOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Pingpp__ApiKey still holds the Key Vault reference to secret 'pingpp-api-key'", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Key Vault Secrets User", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("whitespace", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Ping_client_options_refuse_a_signing_key_id_that_is_a_secret_reference()
    {
        var options = new PingppClientOptions
        {
            ApiKey = "sk_test_abc",
            SigningKeyId = "@Microsoft.KeyVault(VaultName=kv;SecretName=signing)",
        };

        var result = new PingppClientOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Pingpp__SigningKeyId still holds the Key Vault reference", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Webhook_options_refuse_a_public_key_that_is_still_a_reference()
    {
        var options = new WebhookOptions
        {
            WebhookPublicKeys = [VectorFiles.Text("webhook1_pingpp_public_key.pem"), "@Microsoft.KeyVault(VaultName=kv;SecretName=pingpp-public-2)"],
        };

        var result = new WebhookOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Pingpp__WebhookPublicKeys__1 still holds the Key Vault reference to secret 'pingpp-public-2'", result.FailureMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("__0", result.FailureMessage, StringComparison.Ordinal);
    }
}
